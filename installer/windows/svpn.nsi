; SVPN 원격근무서비스 — Windows installer (NSIS 3, Unicode).
;
; Built by installer/dist.sh:  makensis -INPUTCHARSET UTF8 -DVERSION=… -DVERSION4=… -DSRC=DIR
;   -DOUTFILE=… -DTRAY_ARGS=… [-DSIGN_SCRIPT=…] [-DCA_FILE] [-DPLACEHOLDER_WINTUN] svpn.nsi
; SRC holds svpn.exe svpnd.exe svpnctl.exe svpn-recover.exe profilecheck.exe wintun.dll
; svpn.ico profile.json [ca.pem].
;
; Command line (IT departments):
;   svpn-setup.exe /S [/PROFILE=\\server\share\profile.json] [/CA=ca.pem] [/D=C:\Program Files\SVPN]
; /S installs silently; /PROFILE= replaces the profile built into the installer; /CA=
; installs a PEM beside it as ca.pem. Exit code 0 on success, 2 when the installation
; failed, 3 when everything was installed but the service did not start now (it is
; set to start at boot); the reason is in %TEMP%\svpn-setup.log.
;
; Installs to Program Files\SVPN, writes the profile to %ProgramData%\SVPN (writable by
; administrators only), registers and starts the svpnd service (svpnd install), creates
; the desktop shortcut 원격근무서비스 and the Start menu entry, starts the tray at logon
; and registers the uninstaller, which stops and removes the service, undoes what a
; tunnel left behind, and removes every file, shortcut and registry entry.

; A 64-bit installer: SVPN needs 64-bit Windows anyway (and Wine64 can run it in the dist test).
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "StrFunc.nsh"
${StrStr}

!define APPNAME "원격근무서비스"
!define PUBLISHER "SVPN"
!define SERVICE "svpnd"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\SVPN"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define DATADIR "$APPDATA\SVPN" ; %ProgramData%\SVPN once SetShellVarContext all

!ifdef PLACEHOLDER_WINTUN
  Name "${APPNAME} (TEST BUILD - placeholder wintun.dll)"
  BrandingText "SVPN ${VERSION} - TEST BUILD, DO NOT DEPLOY"
!else
  Name "${APPNAME}"
  BrandingText "SVPN ${VERSION}"
!endif
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\SVPN"
ShowInstDetails show
ShowUninstDetails show

!ifdef SIGN_SCRIPT
  ; The uninstaller and the installer are signed like the programs.
  !uninstfinalize '"${SIGN_SCRIPT}" "%1"'
  !finalize '"${SIGN_SCRIPT}" "%1"'
!endif

!define MUI_ICON "${SRC}\svpn.ico"
!define MUI_UNICON "${SRC}\svpn.ico"
!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Korean"
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=${LANG_KOREAN} "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=${LANG_KOREAN} "FileDescription" "${APPNAME} 설치"
VIAddVersionKey /LANG=${LANG_KOREAN} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_KOREAN} "LegalCopyright" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_KOREAN} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_KOREAN} "ProductVersion" "${VERSION}"

Var ProfileSrc
Var CASrc
Var ServiceWarning

; Fail MESSAGE: tell the user (or, when silent, the log), and stop with exit code 2.
!macro Fail msg
  Push "${msg}"
  Call Fail
!macroend

Function Fail
  Exch $0
  Push $0
  Call LogLine
  MessageBox MB_ICONSTOP|MB_OK "$0" /SD IDOK
  SetErrorLevel 2
  Quit
FunctionEnd

; LogLine MESSAGE: into the details and %TEMP%\svpn-setup.log (UTF-16LE).
Function LogLine
  Exch $0
  Push $1
  DetailPrint "$0"
  ClearErrors
  FileOpen $1 "$TEMP\svpn-setup.log" a
  ${IfNot} ${Errors}
    FileSeek $1 0 END
    FileWriteUTF16LE $1 "svpn-setup ${VERSION}: $0$\r$\n"
    FileClose $1
  ${EndIf}
  Pop $1
  Pop $0
FunctionEnd

Function .onInit
  SetShellVarContext all
  ${IfNot} ${RunningX64}
    !insertmacro Fail "${APPNAME}은(는) 64비트 Windows가 필요합니다. (SVPN needs 64-bit Windows.)"
  ${EndIf}
  SetRegView 64
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PROFILE=" $ProfileSrc
  ${If} ${Errors}
    StrCpy $ProfileSrc ""
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/CA=" $CASrc
  ${If} ${Errors}
    StrCpy $CASrc ""
  ${EndIf}
FunctionEnd

Section "Install"
  SetShellVarContext all
  SetRegView 64
  InitPluginsDir

  ; 1. The profile: from /PROFILE= or the one built in, checked before anything changes.
  SetOutPath "$PLUGINSDIR"
  File "${SRC}\profilecheck.exe"
  File "${SRC}\profile.json"
  ${If} $ProfileSrc != ""
    ${IfNot} ${FileExists} "$ProfileSrc"
      !insertmacro Fail "프로파일 파일이 없습니다 (profile not found): $ProfileSrc"
    ${EndIf}
    CopyFiles /SILENT "$ProfileSrc" "$PLUGINSDIR\profile.json"
  ${EndIf}
  nsExec::ExecToStack '"$PLUGINSDIR\profilecheck.exe" "$PLUGINSDIR\profile.json"'
  Pop $0
  Pop $1
  ${If} $0 != 0
    !insertmacro Fail "프로파일이 올바르지 않습니다 (invalid profile): $1"
  ${EndIf}
  ${If} $CASrc != ""
  ${AndIfNot} ${FileExists} "$CASrc"
    !insertmacro Fail "CA 파일이 없습니다 (CA file not found): $CASrc"
  ${EndIf}

  ; 2. An earlier version: stop and remove its service before replacing its files.
  ${If} ${FileExists} "$INSTDIR\svpnd.exe"
    DetailPrint "이전 버전의 서비스를 중지합니다 (stopping the previous service)"
    nsExec::ExecToLog '"$INSTDIR\svpnd.exe" uninstall'
    Pop $0
  ${EndIf}

  ; 3. The programs. wintun.dll must sit beside svpnd.exe.
  SetOutPath "$INSTDIR"
  File "${SRC}\svpn.exe"
  File "${SRC}\svpnd.exe"
  File "${SRC}\svpnctl.exe"
  File "${SRC}\svpn-recover.exe"
  File "${SRC}\wintun.dll"
  File "${SRC}\svpn.ico"
  File "${SRC}\LICENSE.txt"
  File "${SRC}\THIRD_PARTY_NOTICES.txt"

  ; 4. %ProgramData%\SVPN: administrators and SYSTEM write, users read; a folder a
  ;    user created beforehand is taken over, so no user can change the profile.
  CreateDirectory "${DATADIR}"
  nsExec::ExecToLog 'icacls "${DATADIR}" /setowner *S-1-5-32-544 /T /C /Q'
  Pop $0
  nsExec::ExecToLog 'icacls "${DATADIR}" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX /T /C /Q'
  Pop $0
  ${If} $0 != 0
    !insertmacro Fail "${DATADIR} 폴더의 권한을 설정하지 못했습니다 (icacls failed)"
  ${EndIf}
  CopyFiles /SILENT "$PLUGINSDIR\profile.json" "${DATADIR}\profile.json"
  !ifdef CA_FILE
    File "/oname=${DATADIR}\ca.pem" "${SRC}\ca.pem"
  !endif
  ${If} $CASrc != ""
    CopyFiles /SILENT "$CASrc" "${DATADIR}\ca.pem"
  ${EndIf}

  ; 5. The service: registered (automatic start) and started by svpnd itself.
  DetailPrint "서비스를 등록합니다 (registering the ${SERVICE} service)"
  nsExec::ExecToStack '"$INSTDIR\svpnd.exe" install --profile "${DATADIR}\profile.json"'
  Pop $0
  Pop $1
  DetailPrint "$1"
  ${If} $0 != 0
    ${StrStr} $2 "$1" "starting the service"
    ${If} $2 == ""
      !insertmacro Fail "서비스를 등록하지 못했습니다 (the ${SERVICE} service could not be installed): $1"
    ${EndIf}
    ; Registered (it starts at every boot) but it did not start now: finish the
    ; installation, say so, and exit with 3 so that deployment tools notice.
    StrCpy $ServiceWarning "서비스가 등록되었으나 시작되지 않았습니다. 컴퓨터를 다시 시작하거나 헬프데스크에 문의하십시오. (The ${SERVICE} service is installed but did not start: $1)"
    Push $ServiceWarning
    Call LogLine
  ${EndIf}

  ; 6. Shortcuts: the desktop icon and the Start menu; the tray at every logon.
  SetOutPath "$INSTDIR"
  CreateShortCut "$DESKTOP\${APPNAME}.lnk" "$INSTDIR\svpn.exe" "" "$INSTDIR\svpn.ico" 0 SW_SHOWNORMAL "" "${APPNAME}"
  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\svpn.exe" "" "$INSTDIR\svpn.ico" 0 SW_SHOWNORMAL "" "${APPNAME}"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME} 제거.lnk" "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${RUNKEY}" "SVPN" '"$INSTDIR\svpn.exe" ${TRAY_ARGS}'

  ; 7. The uninstaller, in Apps & features.
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\svpn.ico"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$0"

  ${If} $ServiceWarning != ""
    MessageBox MB_ICONEXCLAMATION|MB_OK "$ServiceWarning" /SD IDOK
    SetErrorLevel 3
  ${EndIf}
SectionEnd

Function un.onInit
  SetShellVarContext all
  SetRegView 64
FunctionEnd

Section "Uninstall"
  SetShellVarContext all
  SetRegView 64

  ; The service first: stopping it closes the tunnel (routes, DNS, Wintun adapter);
  ; svpn-recover then undoes whatever a tunnel that did not close left behind.
  DetailPrint "서비스를 중지하고 제거합니다 (stopping and removing the ${SERVICE} service)"
  nsExec::ExecToLog '"$INSTDIR\svpnd.exe" uninstall'
  Pop $0
  nsExec::ExecToLog '"$INSTDIR\svpn-recover.exe" --state-dir "${DATADIR}\state"'
  Pop $0
  ; The desktop app and its tray, in every session, so their files can go.
  nsExec::ExecToLog 'taskkill /F /IM svpn.exe'
  Pop $0

  DeleteRegValue HKLM "${RUNKEY}" "SVPN"
  Delete "$DESKTOP\${APPNAME}.lnk"
  RMDir /r "$SMPROGRAMS\${APPNAME}"

  Delete "$INSTDIR\svpn.exe"
  Delete "$INSTDIR\svpnd.exe"
  Delete "$INSTDIR\svpnctl.exe"
  Delete "$INSTDIR\svpn-recover.exe"
  Delete "$INSTDIR\wintun.dll"
  Delete "$INSTDIR\svpn.ico"
  Delete "$INSTDIR\LICENSE.txt"
  Delete "$INSTDIR\THIRD_PARTY_NOTICES.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  ; Profile, CA, tunnel state and logs.
  RMDir /r "${DATADIR}"
  DeleteRegKey HKLM "${UNINSTKEY}"
SectionEnd
