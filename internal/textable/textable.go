// Package textable prints aligned text tables for the CLIs, counting the
// two terminal cells Hangul and other East Asian wide characters take.
package textable

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/width"
)

// Width is the number of terminal cells s takes: Hangul and other
// East Asian wide characters take two. text/tabwriter counts runes, which
// misaligns every column after a Korean name.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// Print writes rows as aligned columns separated by two spaces.
func Print(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(cell))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-Width(cell)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}
