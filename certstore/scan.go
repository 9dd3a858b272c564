package certstore

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Layout is how certificates are arranged under a Source's directory.
type Layout int

const (
	// LayoutNPKI: Dir is an NPKI folder holding <CA>/USER/<subject>/signCert.der.
	LayoutNPKI Layout = iota
	// LayoutGPKI: Dir is a GPKI class2 folder holding <name>_sig.cer + _sig.key.
	LayoutGPKI
)

// Source is one place certificates are kept.
type Source struct {
	Dir      string
	Layout   Layout
	Location Location
}

// SourcesForDrive returns the NPKI and GPKI sources at the root of a
// removable drive (or any drive root): <root>/NPKI and
// <root>/GPKI/Certificate/class2.
func SourcesForDrive(root string, loc Location) []Source {
	return []Source{
		{Dir: filepath.Join(root, "NPKI"), Layout: LayoutNPKI, Location: loc},
		{Dir: filepath.Join(root, "GPKI", "Certificate", "class2"), Layout: LayoutGPKI, Location: loc},
	}
}

// DefaultSources returns the standard hard-disk locations of the running OS
// and every removable drive plugged in now. It is cheap enough to call each
// time the picker refreshes.
func DefaultSources() []Source {
	src := diskSources()
	for _, root := range removableRoots() {
		src = append(src, SourcesForDrive(root, LocationRemovable)...)
	}
	return src
}

// ScanError is a problem met while scanning: an unreadable folder, a corrupt
// certificate. A scan reports it and goes on.
type ScanError struct {
	Path string
	Err  error
}

func (e *ScanError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ScanError) Unwrap() error { return e.Err }

// ScanResult is what a scan found.
type ScanResult struct {
	Certificates []*Certificate
	Errors       []*ScanError
}

// Scan reads every certificate under sources. Missing source directories
// are normal (no USB drive, no GPKI) and not errors; unreadable ones are.
// Certificates are sorted for the picker: usable ones first, newest expiry
// first, expired ones last. Sources are read concurrently, one goroutine
// each, all finished when Scan returns.
func Scan(ctx context.Context, sources []Source) ScanResult {
	results := make([]ScanResult, len(sources))
	var wg sync.WaitGroup
	for i, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = scanSource(ctx, s)
		}()
	}
	wg.Wait()

	var out ScanResult
	seen := make(map[string]bool)
	for _, r := range results {
		for _, c := range r.Certificates {
			key := c.Path
			if abs, err := filepath.EvalSymlinks(c.Path); err == nil {
				key = abs
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			out.Certificates = append(out.Certificates, c)
		}
		out.Errors = append(out.Errors, r.Errors...)
	}
	if err := ctx.Err(); err != nil {
		out.Errors = append(out.Errors, &ScanError{Path: "", Err: err})
	}
	SortForPicker(out.Certificates, time.Now())
	return out
}

// SortForPicker orders certificates as the picker lists them: valid ones
// first by latest expiry, then expired ones.
func SortForPicker(certs []*Certificate, now time.Time) {
	sort.SliceStable(certs, func(i, j int) bool {
		a, b := certs[i].X509, certs[j].X509
		ea, eb := now.After(a.NotAfter), now.After(b.NotAfter)
		if ea != eb {
			return !ea
		}
		if !a.NotAfter.Equal(b.NotAfter) {
			return a.NotAfter.After(b.NotAfter)
		}
		return certs[i].Path < certs[j].Path
	})
}

func scanSource(ctx context.Context, s Source) ScanResult {
	var r ScanResult
	fail := func(path string, err error) {
		r.Errors = append(r.Errors, &ScanError{Path: path, Err: err})
	}
	if _, err := os.Stat(s.Dir); err != nil {
		if !os.IsNotExist(err) {
			fail(s.Dir, ioError(s.Dir, err))
		}
		return r
	}
	switch s.Layout {
	case LayoutNPKI:
		// <NPKI>/<CA>/USER/<subject>/signCert.der. Folder names are read
		// case-insensitively (FAT drives written by other OSes) and never
		// interpreted: they may be CP949 or decomposed Hangul.
		for _, ca := range readDirs(s.Dir, fail) {
			if ctx.Err() != nil {
				return r
			}
			caDir := filepath.Join(s.Dir, ca)
			for _, user := range readDirs(caDir, fail) {
				if !strings.EqualFold(user, "USER") {
					continue
				}
				userDir := filepath.Join(caDir, user)
				for _, sub := range readDirs(userDir, fail) {
					if ctx.Err() != nil {
						return r
					}
					dir := filepath.Join(userDir, sub)
					certFile, keyFile := findNPKIFiles(dir, fail)
					if certFile == "" {
						continue
					}
					c, err := loadPair(certFile, keyFile, KindNPKI, s.Location)
					if err != nil {
						fail(certFile, err)
						continue
					}
					r.Certificates = append(r.Certificates, c)
				}
			}
		}
	case LayoutGPKI:
		entries, err := os.ReadDir(s.Dir)
		if err != nil {
			fail(s.Dir, ioError(s.Dir, err))
			return r
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(strings.ToLower(name), gpkiCertExt) {
				continue
			}
			certFile := filepath.Join(s.Dir, name)
			keyFile := certFile[:len(certFile)-len(gpkiCertExt)] + gpkiKeyExt
			c, err := loadPair(certFile, keyFile, KindGPKI, s.Location)
			if err != nil {
				fail(certFile, err)
				continue
			}
			r.Certificates = append(r.Certificates, c)
		}
	}
	return r
}

// readDirs lists the subdirectories of dir, reporting an unreadable one.
func readDirs(dir string, fail func(string, error)) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		fail(dir, ioError(dir, err))
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		} else if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.IsDir() {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

// findNPKIFiles finds signCert.der and signPri.key in dir, matching names
// case-insensitively. kmCert.der / kmPri.key (the encryption pair) are not
// for login and are skipped.
func findNPKIFiles(dir string, fail func(string, error)) (certFile, keyFile string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		fail(dir, ioError(dir, err))
		return "", ""
	}
	for _, e := range entries {
		switch {
		case strings.EqualFold(e.Name(), npkiCertFile):
			certFile = filepath.Join(dir, e.Name())
		case strings.EqualFold(e.Name(), npkiKeyFile):
			keyFile = filepath.Join(dir, e.Name())
		}
	}
	if certFile != "" && keyFile == "" {
		keyFile = filepath.Join(dir, npkiKeyFile) // reported when unlocking
	}
	return certFile, keyFile
}
