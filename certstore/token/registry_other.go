//go:build !linux

package token

// RegistryModules is empty on Windows and macOS: no module registry is
// confirmed there from a primary source. KCAC.TS.HSMU v2.40 describes a
// driver location list (its appendix 4, "환경파일을 이용한 보안토큰
// 구동프로그램 위치정보 관리"), but its exact location was not confirmed,
// so nothing is guessed: only the profile's modules are allowed.
func RegistryModules() []Module { return nil }
