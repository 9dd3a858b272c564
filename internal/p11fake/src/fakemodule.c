/* A PKCS#11 module whose C_Initialize hangs (FAKE_HANG), exits with code 3
 * (FAKE_EXIT3: what abort() does on Windows) or crashes: what a broken
 * token driver does. Built by the tests with the system's gcc. */
#define CK_PTR *
#define CK_DECLARE_FUNCTION(returnType, name) returnType name
#define CK_DECLARE_FUNCTION_POINTER(returnType, name) returnType (* name)
#define CK_CALLBACK_FUNCTION(returnType, name) returnType (* name)
#ifndef NULL_PTR
#define NULL_PTR 0
#endif
#include <stdlib.h>
#include <unistd.h>
#include "pkcs11.h"

static CK_RV fake_initialize(CK_VOID_PTR args) {
	(void)args;
#if defined(FAKE_HANG)
	for (;;)
		pause();
#elif defined(FAKE_EXIT3)
	_exit(3);
#else
	abort();
#endif
	return CKR_OK;
}

static CK_FUNCTION_LIST fake_list;

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
	fake_list.version.major = 2;
	fake_list.version.minor = 40;
	fake_list.C_Initialize = fake_initialize;
	*list = &fake_list;
	return CKR_OK;
}
