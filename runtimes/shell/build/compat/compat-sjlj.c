/* compat-sjlj.c: runtime for LLVM's Emscripten-style setjmp/longjmp lowering
 * (-mllvm -enable-emscripten-sjlj). Unlike the Wasm-EH lowering it is compatible
 * with Binaryen Asyncify: calls that may longjmp go through the host's JS
 * env.invoke_* trampolines, which catch the host's longjmp exception. */
#include <stdint.h>
#include <stddef.h>
#include "host.h"
uintptr_t __THREW__ = 0;
int __threwValue = 0;
static int tempRet0;
int getTempRet0(void) { return tempRet0; }
void setTempRet0(int v) { tempRet0 = v; }
void setThrew(uintptr_t threw, int value) {
	if (__THREW__ == 0) { __THREW__ = threw; __threwValue = value; }
}
void emscripten_longjmp(uintptr_t env, int val) { setThrew(env, val); bbhost_throw_longjmp(); }

struct jmp_buf_impl { void *func_invocation_id; uint32_t label; };
void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id) {
	struct jmp_buf_impl *jb = env;
	jb->func_invocation_id = func_invocation_id;
	jb->label = label;
}
uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id) {
	struct jmp_buf_impl *jb = env;
	return jb->func_invocation_id == func_invocation_id ? jb->label : 0;
}

/* Asyncify save area {cur, end, buf}: its address is exported (-Wl,--export=
 * sandflow_asyncify_area); the host sets cur/end before each unwind. */
#ifndef SANDFLOW_ASYNCIFY_BUF
#define SANDFLOW_ASYNCIFY_BUF 65536
#endif
struct { void *cur, *end; char buf[SANDFLOW_ASYNCIFY_BUF]; } sandflow_asyncify_area;
