// Package assets holds what the desktop app embeds: the app and tray icons,
// the Hangul font (SVPN Gothic, a subset of NanumGothic under the SIL Open
// Font License 1.1, see fonts/OFL.txt) and the translations. It has no dependencies, so it builds
// everywhere; package ui turns these bytes into Fyne resources.
//
// icons/ and fonts/ are produced by `go generate ./assets` (gen/, which
// needs the Debian package fonts-nanum) and committed.
package assets

//go:generate go run ./gen -out .

import (
	"embed"
	_ "embed"
)

// Icons: the app icon (256 px) and one tray icon per state (64 px, drawn
// to stay legible at 16 px).
var (
	//go:embed icons/app.png
	AppIcon []byte
	//go:embed icons/tray-disconnected.png
	TrayDisconnected []byte
	//go:embed icons/tray-connecting.png
	TrayConnecting []byte
	//go:embed icons/tray-connected.png
	TrayConnected []byte
	//go:embed icons/tray-error.png
	TrayError []byte
)

// Fonts: SVPN Gothic regular and bold (NanumGothic without its hanja and
// hinting, see gen), which cover Hangul, Latin and the KS X 1001 symbols
// (☎, ·, ※) the profile and the labels use.
var (
	//go:embed fonts/SVPNGothic-Regular.ttf
	FontRegular []byte
	//go:embed fonts/SVPNGothic-Bold.ttf
	FontBold []byte
	//go:embed fonts/OFL.txt
	FontLicense string
)

// Translations holds translations/<lang>.json (go-i18n JSON, as
// fyne.io/fyne/v2/lang reads it): ko.json and en.json, complete.
//
//go:embed translations/*.json
var Translations embed.FS

// Languages are the translations shipped, the first one the default.
var Languages = []string{"ko", "en"}
