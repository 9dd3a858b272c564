package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestCertMoveSQLite(t *testing.T)   { testCertMove(t, sqliteBackend) }
func TestCertMovePostgres(t *testing.T) { testCertMove(t, postgresBackend(t)) }

// testCertMove: slot numbers are three digits unique per user, a user has
// at most maxLive waiting slots, each step advances only from the stage
// before it (once, however many race), an expired slot does not advance,
// burning and finishing wipe the contents, the device count counts.
func testCertMove(t *testing.T, b *backend) {
	ctx := context.Background()
	s := b.open(t)
	now := time.Now().UTC()
	slot := func(user string) (MoveSlot, error) {
		return s.CreateMoveSlot(ctx, MoveSlot{UserID: user, CertKey: "c", SenderToken: HashToken("t"), ExpiresAt: now.Add(5 * time.Minute)}, 3, now)
	}
	seen := map[string]bool{}
	var first MoveSlot
	for i := range 3 {
		m, err := slot("u1")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.SlotNo) != 3 || seen[m.SlotNo] || len(m.ID) != 32 {
			t.Fatalf("slot %d: %+v", i, m)
		}
		seen[m.SlotNo] = true
		if i == 0 {
			first = m
		}
	}
	if _, err := slot("u1"); !errors.Is(err, ErrMoveFull) {
		t.Fatalf("a fourth waiting slot: %v", err)
	}
	if _, err := slot("u2"); err != nil {
		t.Fatalf("another user: %v", err)
	}

	// Steps in order, each once, even when raced.
	if err := s.AdvanceMoveSlot(ctx, first.ID, MoveJoined, MoveB, ColMsgB, []byte("b"), "", now); !errors.Is(err, ErrMoveStage) {
		t.Fatalf("out of order: %v", err)
	}
	if err := s.AdvanceMoveSlot(ctx, first.ID, MoveOpened, MoveA, ColMsgA, []byte("a"), "", now); err != nil {
		t.Fatal(err)
	}
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.AdvanceMoveSlot(ctx, first.ID, MoveA, MoveJoined, ColNone, nil, HashToken("r"), now) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d joins won the race", wins)
	}
	got, err := s.MoveSlotByNumber(ctx, "u1", first.SlotNo)
	if err != nil || got.Stage != MoveJoined || string(got.MsgA) != "a" || got.ReceiverToken != HashToken("r") {
		t.Fatalf("after join: %+v %v", got, err)
	}
	if err := s.AdvanceMoveSlot(ctx, first.ID, MoveJoined, MoveB, ColMsgB, []byte("b"), "", now.Add(6*time.Minute)); !errors.Is(err, ErrMoveStage) {
		t.Fatalf("an expired slot advanced: %v", err)
	}
	if err := s.AdvanceMoveSlot(ctx, first.ID, MoveJoined, MoveB, "payload; DROP TABLE users", nil, "", now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a made-up column: %v", err)
	}
	for _, st := range []struct {
		from, to int
		col      MoveColumn
	}{{MoveJoined, MoveB, ColMsgB}, {MoveB, MoveTA, ColTagA}, {MoveTA, MoveReady, ColNone}, {MoveReady, MovePayload, ColPayload}, {MovePayload, MoveDone, ColNone}} {
		if err := s.AdvanceMoveSlot(ctx, first.ID, st.from, st.to, st.col, []byte("x"), "", now); err != nil {
			t.Fatalf("%d -> %d: %v", st.from, st.to, err)
		}
	}
	got, _ = s.MoveSlotByID(ctx, first.ID)
	if got.Stage != MoveDone || got.MsgA != nil || got.MsgB != nil || got.TagA != nil || got.Payload != nil {
		t.Fatalf("a finished slot keeps contents: %+v", got)
	}
	if burnt, _ := s.BurnMoveSlot(ctx, first.ID); burnt {
		t.Fatal("a finished slot burnt")
	}

	// Burning wipes; a done slot frees its user's place.
	second, err := slot("u1")
	if err != nil {
		t.Fatalf("after one finished: %v", err)
	}
	s.AdvanceMoveSlot(ctx, second.ID, MoveOpened, MoveA, ColMsgA, []byte("a"), "", now)
	if burnt, err := s.BurnMoveSlot(ctx, second.ID); !burnt || err != nil {
		t.Fatalf("burn: %v %v", burnt, err)
	}
	got, _ = s.MoveSlotByID(ctx, second.ID)
	if got.Stage != MoveBurnt || got.MsgA != nil {
		t.Fatalf("burnt: %+v", got)
	}

	// Pruning returns expired slots without contents and deletes them.
	gone, err := s.PruneMoveSlots(ctx, now.Add(10*time.Minute))
	if err != nil || len(gone) != 5 {
		t.Fatalf("prune: %d %v", len(gone), err)
	}
	if _, err := s.MoveSlotByID(ctx, first.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pruned slot still there: %v", err)
	}

	// The device count.
	for want := 1; want <= 3; want++ {
		if n, err := s.AddCertMove(ctx, "k", "u1", now); err != nil || n != want {
			t.Fatalf("AddCertMove: %d %v", n, err)
		}
	}
	if n, _ := s.CertMoves(ctx, "k"); n != 3 {
		t.Fatalf("CertMoves %d", n)
	}
	s.ResetCertMoves(ctx, "k")
	if n, _ := s.CertMoves(ctx, "k"); n != 0 {
		t.Fatalf("after reset %d", n)
	}
}
