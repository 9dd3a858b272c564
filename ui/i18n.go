package ui

import (
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/opensvpn/svpn/assets"
)

// Language is the UI language: "ko" or "en".
type Language string

const (
	Korean  Language = "ko"
	English Language = "en"
)

// LanguageChoice is the language picked and why, for the diagnostics.
type LanguageChoice struct {
	Lang Language
	// System is the locale the system reported ("" when none, "C").
	System string
	// Note explains a choice the user might not expect, e.g. Korean on a
	// system whose locale is C. It is a translation key, empty when none.
	Note string
}

// ChooseLanguage picks the UI language: override ("ko", "en", from --lang
// or SVPN_LANG) if set; else Korean when the system language is Korean, or
// unknown (locale C/POSIX or unset: SVPN is for Korean staff, and Fyne
// itself would fall back to English); else English.
func ChooseLanguage(override string) LanguageChoice {
	if override == "" {
		override = os.Getenv("SVPN_LANG")
	}
	switch strings.ToLower(override) {
	case "ko", "kr", "korean":
		return LanguageChoice{Lang: Korean, System: systemLocale(), Note: ""}
	case "en", "english":
		return LanguageChoice{Lang: English, System: systemLocale(), Note: ""}
	}
	sys := systemLocale()
	base := strings.ToLower(sys)
	if i := strings.IndexAny(base, "_-.@"); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "ko":
		return LanguageChoice{Lang: Korean, System: sys}
	case "", "c", "posix":
		return LanguageChoice{Lang: Korean, System: sys, Note: "env.locale_unknown"}
	}
	return LanguageChoice{Lang: English, System: sys}
}

// SetupLanguage loads the translations of l into Fyne's lang package so
// that T and Fyne's own widgets (entry menus, dialog buttons) speak l
// whatever locale Fyne detects. Fyne picks the translation closest to the
// system locale and falls back to English, and offers no way to choose: so
// l's table is registered both as l and as the English fallback.
func SetupLanguage(l Language) error {
	data, err := assets.Translations.ReadFile("translations/" + string(l) + ".json")
	if err != nil {
		return fmt.Errorf("translations for %q: %w", l, err)
	}
	if err := lang.AddTranslationsForLocale(data, fyne.Locale("en")); err != nil {
		return err
	}
	if l != English {
		if err := lang.AddTranslationsForLocale(data, fyne.Locale(l)); err != nil {
			return err
		}
	}
	current = l
	return nil
}

var current = Korean

// UserLanguageEnv carries the user's LANGUAGE to a window process whose
// own LANGUAGE is English for Fyne's sake (see cmd/svpn): the browser it
// starts gets the user's back.
const UserLanguageEnv = "SVPN_USER_LANGUAGE"

// CurrentLanguage returns the language SetupLanguage set.
func CurrentLanguage() Language { return current }

// T returns the translation of key.
func T(key string) string { return lang.X(key, key) }

// Tf returns the translation of key with its {{.Name}} fields filled from
// data.
func Tf(key string, data map[string]any) string { return lang.X(key, key, data) }
