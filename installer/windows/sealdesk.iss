; Inno Setup script for SealDesk on Windows — NOT BUILT HERE (no Windows machine in this project's CI).
; Build steps: installer/windows/README.md and docs/install.md ("Windows"). Inputs: dist\sealdesk\ from
; `pyinstaller --noconfirm build.spec` run on Windows (64-bit Python, so 64-bit vendor PKCS#11 DLLs load).
;
; Per-user install (no administrator rights: government desktops rarely grant them): program files in
; %LOCALAPPDATA%\Programs\SealDesk, Start-menu entries, "Open with SealDesk" for .pdf (and .ofd) under
; HKCU\Software\Classes. User data stays in %LOCALAPPDATA%\SealDesk (platformdirs) and is kept on uninstall.

#define AppVersion GetEnv("SEALDESK_VERSION")
#if AppVersion == ""
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6F0B7C1E-52A4-4C8B-9D8E-5EA1DE5C0A11}
AppName=SealDesk
AppVersion={#AppVersion}
AppVerName=SealDesk {#AppVersion}
AppPublisher=SealDesk developers
DefaultDirName={localappdata}\Programs\SealDesk
DefaultGroupName=SealDesk
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=sealdesk-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\sealdesk.ico
UninstallDisplayIcon={app}\sealdesk-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes

[Languages]
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "pdfassoc"; Description: "{cm:AssocPdf}"; GroupDescription: "{cm:Assoc}"
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[CustomMessages]
chinesesimplified.Assoc=文件关联：
chinesesimplified.AssocPdf=用 SealDesk 打开 PDF（出现在“打开方式”中）
english.Assoc=File associations:
english.AssocPdf=Open PDF documents with SealDesk (listed under "Open with")

[Files]
Source: "..\..\dist\sealdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\SealDesk\SealDesk"; Filename: "{app}\sealdesk-gui.exe"
Name: "{userprograms}\SealDesk\{cm:UninstallProgram,SealDesk}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\SealDesk"; Filename: "{app}\sealdesk-gui.exe"; Tasks: desktopicon

[Registry]
; ProgID and "Open with" entries, per user; the user's default PDF viewer is left alone (Windows asks).
Root: HKCU; Subkey: "Software\Classes\SealDesk.Document"; ValueType: string; ValueData: "SealDesk"; Flags: uninsdeletekey; Tasks: pdfassoc
Root: HKCU; Subkey: "Software\Classes\SealDesk.Document\DefaultIcon"; ValueType: string; ValueData: "{app}\sealdesk-gui.exe,0"; Tasks: pdfassoc
Root: HKCU; Subkey: "Software\Classes\SealDesk.Document\shell\open\command"; ValueType: string; ValueData: """{app}\sealdesk-gui.exe"" ""%1"""; Tasks: pdfassoc
Root: HKCU; Subkey: "Software\Classes\.pdf\OpenWithProgids"; ValueType: string; ValueName: "SealDesk.Document"; ValueData: ""; Flags: uninsdeletevalue; Tasks: pdfassoc
Root: HKCU; Subkey: "Software\Classes\.ofd\OpenWithProgids"; ValueType: string; ValueName: "SealDesk.Document"; ValueData: ""; Flags: uninsdeletevalue; Tasks: pdfassoc
Root: HKCU; Subkey: "Software\Classes\Applications\sealdesk-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".pdf"; ValueData: ""; Flags: uninsdeletekey; Tasks: pdfassoc
Root: HKCU; Subkey: "Software\Classes\Applications\sealdesk-gui.exe\shell\open\command"; ValueType: string; ValueData: """{app}\sealdesk-gui.exe"" ""%1"""; Tasks: pdfassoc

[Run]
Filename: "{app}\sealdesk-gui.exe"; Description: "{cm:LaunchProgram,SealDesk}"; Flags: nowait postinstall skipifsilent
