/*
 * A stand-in bcryptprimitives.dll for the dist test's Wine prefix only.
 * Go 1.24+ programs get their random numbers from ProcessPrng in
 * bcryptprimitives.dll, which Windows 10+ has and Debian 12's Wine 8.0
 * lacks; this one forwards to RtlGenRandom (advapi32!SystemFunction036).
 * Never shipped: installer/dist_test.go builds it into the throwaway
 * prefix's system32 so that svpnctl.exe can run under Wine.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
