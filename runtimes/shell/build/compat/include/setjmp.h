/* setjmp.h for busybox on wasm32-wasi: lowered by LLVM's Emscripten-style
 * setjmp/longjmp (-mllvm -enable-emscripten-sjlj); runtime in compat-sjlj.c. */
#ifndef SANDFLOW_SETJMP_H
#define SANDFLOW_SETJMP_H
typedef struct __jmp_buf_tag {
	unsigned long long __jb[8];
	unsigned long __fl;
	unsigned long __ss[128/sizeof(long)];
} jmp_buf[1];
typedef jmp_buf sigjmp_buf;
int setjmp(jmp_buf) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf, int);
#define _setjmp setjmp
#define _longjmp longjmp
#define sigsetjmp(b, s) setjmp(b)
#define siglongjmp longjmp
#endif
