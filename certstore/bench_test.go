package certstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/internal/testfixtures"
)

// BenchmarkScan200 scans 200 certificates: 100 on the hard disk, 100 on a
// removable drive (NPKI and GPKI layouts). Target: under 50 ms.
func BenchmarkScan200(b *testing.B) {
	p := testPKI(b)
	home := filepath.Join(b.TempDir(), "NPKI")
	drive := b.TempDir()
	if err := p.BuildTree(certgen.TreeOptions{DiskNPKI: home, DriveRoot: drive, Disk: 100, Removable: 100, Password: "bench-Pass1!"}); err != nil {
		b.Fatal(err)
	}
	sources := append([]certstore.Source{{Dir: home, Layout: certstore.LayoutNPKI, Location: certstore.LocationDisk}},
		certstore.SourcesForDrive(drive, certstore.LocationRemovable)...)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := certstore.Scan(context.Background(), sources)
		if len(res.Certificates) != 200 || len(res.Errors) != 0 {
			b.Fatalf("found %d, errors %v", len(res.Certificates), res.Errors)
		}
	}
}

// BenchmarkUnlockLegacySEED decrypts the real yessign key (PBKDF1-SHA1, 2048
// iterations, SEED-CBC) and checks it against the certificate. Target: 5 ms.
func BenchmarkUnlockLegacySEED(b *testing.B) {
	c, err := certstore.Load(testfixtures.Path(b, "npki-real"))
	if err != nil {
		b.Fatal(err)
	}
	pw := []byte("WTuA8Ev0lWXVFSiI!")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Unlock(pw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptPBES2 decrypts the OpenSSL-made keys (PBKDF2, 2048
// iterations) with SEED and ARIA.
func BenchmarkDecryptPBES2(b *testing.B) {
	for _, name := range []string{"seed-cbc-hmacsha1.key", "seed-cbc-hmacsha256.key", "aria128-cbc-hmacsha256.key"} {
		der := testfixtures.Read(b, "pbes2-openssl", name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := certstore.DecryptPrivateKey(der, []byte("test1234")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
