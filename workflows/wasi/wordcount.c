/*
 * A WASI command module for a sandflow wasm step: counts the lines, words and bytes of
 * the files named on its command line (under the step's /workspace), writes a summary
 * file for the steps after it, and prints the counts as JSON on stdout (the step's output).
 * The inputs JSON arrives on stdin; its size is reported too.
 *
 * Built by workflows/wasi/build.sh (clang --target=wasm32-wasi with wasi-libc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

int main(int argc, char **argv) {
  long input_bytes = 0;
  while (getchar() != EOF) input_bytes++;

  const char *label = getenv("LABEL");
  FILE *summary = fopen("/workspace/wordcount.txt", "w");
  if (!summary) {
    perror("/workspace/wordcount.txt");
    return 1;
  }
  printf("{\"label\":");
  json_string(label ? label : "");
  printf(",\"input_bytes\":%ld,\"files\":[", input_bytes);
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "r");
    if (!f) {
      fprintf(stderr, "wordcount: cannot open %s\n", argv[i]);
      return 2;
    }
    long lines = 0, words = 0, bytes = 0;
    int c, in_word = 0;
    while ((c = fgetc(f)) != EOF) {
      bytes++;
      if (c == '\n') lines++;
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r') in_word = 0;
      else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
    fclose(f);
    if (i > 1) putchar(',');
    printf("{\"name\":");
    json_string(argv[i]);
    printf(",\"lines\":%ld,\"words\":%ld,\"bytes\":%ld}", lines, words, bytes);
    fprintf(summary, "%s %ld %ld %ld\n", argv[i], lines, words, bytes);
  }
  printf("]}\n");
  fclose(summary);
  return 0;
}
