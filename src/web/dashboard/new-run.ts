/**
 * The dashboard's "New run" panel: a workflow in the code editor, checked as it is typed
 * (YAML and JSON here; Lua, which needs the sandboxed evaluator, by the server on submit),
 * sent with `POST /api/runs`; the problems the server finds are marked in the text too.
 */
import { parseWorkflowSource } from "../../core/loaders/parse-source.js";
import { byId } from "../dom.js";
import { WorkflowEditor } from "../editor.js";
import { call } from "./api-client.js";

const STARTER = `name: hello
steps:
  greet:
    language: python
    code: |
      def run():
          print("hello from the server")
          return {"greeting": "hello"}
  shout:
    language: lua
    depends_on: [greet]
    code: |
      function run(inputs)
        return string.upper(inputs.greet.greeting)
      end
`;

interface ProblemAnswer {
  readonly message: string;
  readonly issues?: readonly { path: string; message: string }[];
}

/** Wires the panel; `onStarted` is told the id of each run it starts. */
export function setUpNewRun(onStarted: (runId: string) => void, onError: (e: unknown) => void): void {
  const problems = byId("problems");
  const show = (answer: ProblemAnswer | undefined) => {
    problems.hidden = answer === undefined;
    problems.textContent = answer?.message ?? "";
    editor.showProblems(
      answer ? (answer.issues?.length ? answer.issues : [{ message: answer.message }]) : [],
    );
  };
  const check = async (text: string) => {
    if (editor.format === "lua") return show(undefined);
    const result = await parseWorkflowSource(text);
    if (text !== editor.text) return;
    if (result.ok) show(undefined);
    else show({ message: result.error.message, issues: "issues" in result.error ? result.error.issues : [] });
  };
  const submit = async () => {
    try {
      const { runId } = await call<{ runId: string }>("POST", "/api/runs", { workflow: editor.text });
      show(undefined);
      onStarted(runId);
    } catch (e) {
      const answer = (e as { answer?: ProblemAnswer }).answer;
      if (answer) show(answer);
      else onError(e);
    }
  };
  const editor = new WorkflowEditor(byId("editor"), byId("format"), {
    onChange: (text) => void check(text),
    onRun: () => void submit(),
  });
  editor.text = STARTER;
  byId("submit").addEventListener("click", () => void submit());
}
