package cpace

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/gtank/ristretto255"
)

// The test vectors below are draft-irtf-cfrg-cpace's appendix "Test vector
// for CPace using group ristretto255 and hash SHA-512" and its string
// utility vectors.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStringVectors(t *testing.T) {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{PrependLen(nil), "00"},
		{PrependLen([]byte("1234")), "0431323334"},
		{PrependLen(seq(127))[:1], "7f"},
		{PrependLen(seq(128))[:3], "800100"},
		{LVCat([]byte("1234"), []byte("5"), nil, []byte("678")), "043132333401350003363738"},
		{OCat([]byte("ABCD"), []byte("BCD")), "6f6342434441424344"},
		{OCat([]byte("BCD"), []byte("ABCDE")), "6f634243444142434445"},
		{TranscriptIR([]byte("123"), []byte("PartyA"), []byte("234"), []byte("PartyB")), "03313233065061727479410332333406506172747942"},
		{TranscriptIR([]byte("3456"), []byte("PartyA"), []byte("2345"), []byte("PartyB")), "043334353606506172747941043233343506506172747942"},
		{TranscriptOC([]byte("123"), []byte("PartyA"), []byte("234"), []byte("PartyB")), "6f6303323334065061727479420331323306506172747941"},
		{TranscriptOC([]byte("3456"), []byte("PartyA"), []byte("2345"), []byte("PartyB")), "6f63043334353606506172747941043233343506506172747942"},
	} {
		if hex.EncodeToString(tc.got) != tc.want {
			t.Errorf("got %x, want %s", tc.got, tc.want)
		}
	}
	if len(PrependLen(seq(128))) != 130 || len(PrependLen(seq(127))) != 128 {
		t.Error("prepend_len lengths")
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{{"\x00", "\x00\x00", false}, {"\x01", "\x00\x00", true}, {"\x00\x00", "\x00", true},
		{"\x00\x00", "\x01", false}, {"\x00\x01", "\x01", false}, {"ABCD", "BCD", false}} {
		if lexLarger([]byte(c.a), []byte(c.b)) != c.want {
			t.Errorf("lexiographically_larger(%q, %q) != %v", c.a, c.b, c.want)
		}
	}
}

var (
	tvPRS = []byte("Password")
	tvCI  = []byte("\x0bA_initiator\x0bB_responder")
	tvSID = "7e4b4791d6a8ef019b936c79fb7f2c57"
)

func scalar(t *testing.T, h string) *ristretto255.Scalar {
	s := ristretto255.NewScalar()
	if err := s.Decode(unhex(t, h)); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRistretto255Vectors(t *testing.T) {
	sid := unhex(t, tvSID)
	gs := GeneratorString([]byte(DSI), tvPRS, tvCI, sid, hashBlockSize)
	wantGS := unhex(t, `11435061636552697374726574746f3235350850617373776f726464
      00000000000000000000000000000000000000000000000000000000
      00000000000000000000000000000000000000000000000000000000
      00000000000000000000000000000000000000000000000000000000
      00000000000000000000000000000000180b415f696e69746961746f
      720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
      2c57`)
	if !bytes.Equal(gs, wantGS) {
		t.Fatalf("generator_string:\n got %x\nwant %x", gs, wantGS)
	}
	h := sha512.Sum512(gs)
	if want := unhex(t, `da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288
      b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772
      05f90851a657ee27`); !bytes.Equal(h[:], want) {
		t.Fatalf("hash result %x", h)
	}
	g := Generator(tvPRS, tvCI, sid).Encode(nil)
	if want := unhex(t, "222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56"); !bytes.Equal(g, want) {
		t.Fatalf("generator %x", g)
	}

	ya := scalar(t, "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08")
	yb := scalar(t, "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d")
	a := startWith(true, ya, tvPRS, tvCI, sid, []byte("ADa"))
	b := startWith(false, yb, tvPRS, tvCI, sid, []byte("ADb"))
	if want := unhex(t, "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157"); !bytes.Equal(a.Message(), want) {
		t.Fatalf("Ya %x", a.Message())
	}
	if want := unhex(t, "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258"); !bytes.Equal(b.Message(), want) {
		t.Fatalf("Yb %x", b.Message())
	}
	wantK := unhex(t, "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f")
	for _, k := range [][]byte{must(ScalarMultVfy(ya, b.Message())), must(ScalarMultVfy(yb, a.Message()))} {
		if !bytes.Equal(k, wantK) {
			t.Fatalf("K %x", k)
		}
	}
	tr := TranscriptIR(a.Message(), []byte("ADa"), b.Message(), []byte("ADb"))
	if want := unhex(t, `20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e
      ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa
      8232b5ebe63324e2d9e7433f725803414462`); !bytes.Equal(tr, want) {
		t.Fatalf("transcript_ir %x", tr)
	}
	ka, err := a.Finish(b.Message(), []byte("ADb"))
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.Finish(a.Message(), []byte("ADa"))
	if err != nil {
		t.Fatal(err)
	}
	wantISK := unhex(t, `b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
      ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
      3fa2068af7900447`)
	if !bytes.Equal(ka.ISK, wantISK) || !bytes.Equal(kb.ISK, wantISK) {
		t.Fatalf("ISK\n A %x\n B %x\nwant %x", ka.ISK, kb.ISK, wantISK)
	}
	// The symmetric setting's ISK and both sid outputs, from the same
	// inputs (this package uses only the initiator-responder transcript).
	oc := sha512.Sum512(append(LVCat([]byte(DSI+"_ISK"), sid, wantK), TranscriptOC(a.Message(), []byte("ADa"), b.Message(), []byte("ADb"))...))
	if want := unhex(t, `544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969
      d0e5debb2244675c0b43397cbb68d342b01fc0f98fc961469a25134d
      e9f0f813c1a57476`); !bytes.Equal(oc[:], want) {
		t.Fatalf("ISK (oc) %x", oc)
	}
	sidIR := sha512.Sum512(append([]byte("CPaceSidOutput"), tr...))
	if want := unhex(t, `bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60
      b2a27c219813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b
      8611dcdfab880c47`); !bytes.Equal(sidIR[:], want) {
		t.Fatalf("sid_output_ir %x", sidIR)
	}

	// Key confirmation both ways.
	if err := ka.VerifyPeer(kb.ConfirmationTag()); err != nil {
		t.Fatal(err)
	}
	if err := kb.VerifyPeer(ka.ConfirmationTag()); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ka.ConfirmationTag(), kb.ConfirmationTag()) {
		t.Fatal("both sides' tags are equal: a reflected tag would verify")
	}
	if err := ka.VerifyPeer(ka.ConfirmationTag()); !errors.Is(err, ErrConfirmation) {
		t.Fatalf("own tag reflected back verified: %v", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestScalarMultVectors(t *testing.T) {
	s := scalar(t, "7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05")
	got, err := ScalarMultVfy(s, unhex(t, "2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e"); !bytes.Equal(got, want) {
		t.Fatalf("scalar_mult_vfy %x", got)
	}
	for _, bad := range []string{
		"2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c", // not an encoding
		"0000000000000000000000000000000000000000000000000000000000000000", // G.I
		"00", // short
	} {
		if _, err := ScalarMultVfy(s, unhex(t, bad)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: %v, want ErrInvalidMessage", bad, err)
		}
	}
	// A party given the identity aborts instead of deriving a key.
	p, err := Start(true, tvPRS, tvCI, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Finish(make([]byte, 32), nil); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("identity accepted: %v", err)
	}
}

func TestMismatchedInputs(t *testing.T) {
	sid := make([]byte, 16)
	rand.Read(sid)
	run := func(prsA, prsB, adA, adB []byte) (*Keys, *Keys) {
		a, _ := Start(true, prsA, nil, sid, adA, nil)
		b, _ := Start(false, prsB, nil, sid, adB, nil)
		ka, err := a.Finish(b.Message(), adB)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := b.Finish(a.Message(), adA)
		if err != nil {
			t.Fatal(err)
		}
		return ka, kb
	}
	ka, kb := run([]byte("482109375516"), []byte("482109375516"), []byte("a"), []byte("b"))
	if !bytes.Equal(ka.ISK, kb.ISK) || kb.VerifyPeer(ka.ConfirmationTag()) != nil {
		t.Fatal("same code: keys differ")
	}
	ka, kb = run([]byte("482109375516"), []byte("482109375517"), []byte("a"), []byte("b"))
	if bytes.Equal(ka.ISK, kb.ISK) || !errors.Is(kb.VerifyPeer(ka.ConfirmationTag()), ErrConfirmation) ||
		!errors.Is(ka.VerifyPeer(kb.ConfirmationTag()), ErrConfirmation) {
		t.Fatal("different codes: confirmation passed")
	}
	// Associated data is authenticated: B believing A sent other AD
	// derives another key.
	a, _ := Start(true, []byte("x"), nil, sid, []byte("v1"), nil)
	b, _ := Start(false, []byte("x"), nil, sid, []byte("b"), nil)
	ka, _ = a.Finish(b.Message(), []byte("b"))
	kb, _ = b.Finish(a.Message(), []byte("v2"))
	if bytes.Equal(ka.ISK, kb.ISK) {
		t.Fatal("a changed ADa went unnoticed")
	}
}

func TestSampleScalar(t *testing.T) {
	zero := bytes.NewReader(make([]byte, 64))
	if _, err := SampleScalar(zero); err == nil {
		t.Fatal("a reader of zeros ended without error: zero must be rejected")
	}
	ff := bytes.Repeat([]byte{0xff}, 32)
	s, err := SampleScalar(bytes.NewReader(ff))
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Encode(nil); b[31] != 0x0f {
		t.Fatalf("top bits not cleared: %x", b)
	}
}

func BenchmarkRun(b *testing.B) {
	sid := make([]byte, 16)
	for b.Loop() {
		a, _ := Start(true, []byte("482109375516"), nil, sid, nil, nil)
		r, _ := Start(false, []byte("482109375516"), nil, sid, nil, nil)
		a.Finish(r.Message(), nil)
		r.Finish(a.Message(), nil)
	}
}
