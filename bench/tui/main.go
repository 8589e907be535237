//go:build unix

// Command tuibench floods fieldcon's console pane from a simulated serial
// line and prints what reached the pane, how long key presses take to reach
// the device, and the peak memory. It is run by run.sh; it is not a test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"fieldcon/internal/devsim"
	"fieldcon/serialcon"
	"fieldcon/tui"
)

var noTUI bool

func main() {
	baud := flag.Int("baud", 115200, "line speed")
	dur := flag.Duration("duration", 60*time.Second, "how long the device floods")
	keyEvery := flag.Duration("key-every", 100*time.Millisecond, "time between key presses")
	flag.BoolVar(&noTUI, "no-tui", false, "count at the console's observer instead of running the TUI (to tell the line's limits from the TUI's)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*baud, *dur, *keyEvery); err != nil {
		fmt.Fprintln(os.Stderr, "tuibench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// flood is what the device sends, over and over: a directory listing with
// the pager, colours and a progress spinner in it, as IOS output looks.
func flood() []byte {
	var b []byte
	for i := range 40 {
		b = fmt.Appendf(b, "%4d  -rwx  %9d  Mar 1 1993 00:%02d:16 +00:00  c2960-lanbasek9-mz.150-2.SE%02d.bin\r\n", i, 6221372+i*997, i, i)
		if i%10 == 9 {
			b = append(b, " --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b"...)
			b = append(b, "\x1b[1mSwitch#\x1b[0m Loading 10%\rLoading 100%\r\n"...)
		}
	}
	return b
}

// result is what one run measured.
type result struct {
	sent, received    int64
	sentCRC, recvCRC  uint32
	dataMsgs          int64
	latencies         []time.Duration
	lostKeys          int
	peakHeap, peakSys uint64
	maxRSSKiB         int64
	cpu               time.Duration
	drained           time.Duration // from the first byte sent to the last one in the pane
	elapsed           time.Duration
}

func run(baud int, dur, keyEvery time.Duration) error {
	dir, err := os.MkdirTemp("", "tuibench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	link, err := devsim.NewLink(devsim.LinkConfig{Baud: baud, Dir: dir})
	if err != nil {
		return fmt.Errorf("simulated line: %w", err)
	}
	defer link.Close()
	dev, err := serialcon.Open(link.DevicePath(), serialcon.DefaultSettings(baud))
	if err != nil {
		return fmt.Errorf("device side: %w", err)
	}
	defer dev.Close()
	if err := dev.SetReadTimeout(200 * time.Millisecond); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	con, err := serialcon.OpenConsole(ctx, serialcon.Config{
		Path:     link.HostPath(),
		Settings: serialcon.DefaultSettings(baud),
		LogDir:   filepath.Join(dir, "logs"),
	})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer con.Close()

	var res result
	var recvMu sync.Mutex
	recvCRC := crc32.NewIEEE()
	var received, dataMsgs atomic.Int64
	// The filter sees every message before Update: count what the pane gets.
	filter := func(_ tea.Model, msg tea.Msg) tea.Msg {
		if m, ok := msg.(tui.DataMsg); ok {
			dataMsgs.Add(1)
			recvMu.Lock()
			for _, e := range m.Events {
				if e.Kind == serialcon.EventData {
					received.Add(int64(len(e.Data)))
					recvCRC.Write(e.Data)
				}
			}
			recvMu.Unlock()
		}
		return msg
	}
	if noTUI {
		con.Observe(func(e serialcon.Event) {
			if e.Kind == serialcon.EventData {
				filter(nil, tui.DataMsg{Events: []serialcon.Event{e}})
			}
		})
	}
	app := tui.New(tui.Options{Ctx: ctx, Console: con, Port: link.HostPath()})
	inR, inW := io.Pipe()
	defer inW.Close()
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithInput(inR), tea.WithOutput(io.Discard),
		tea.WithWindowSize(120, 40), tea.WithoutSignals(), tea.WithFilter(filter))
	done := make(chan error, 1)
	if noTUI {
		p = nil
	} else {
		go func() { _, err := p.Run(); done <- err }()
	}

	// Key presses: a distinct letter each, stamped when sent; the device
	// side stamps each byte as it arrives. Typed bytes arrive in order.
	var keyMu sync.Mutex
	var pressed []time.Time
	var arrived []time.Time
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := dev.Read(buf)
			now := time.Now()
			if err != nil {
				return
			}
			keyMu.Lock()
			for range n {
				arrived = append(arrived, now)
			}
			keyMu.Unlock()
		}
	}()

	// Memory: sampled, since the peak is what a laptop must have.
	var peakHeap, peakSys atomic.Uint64
	memDone := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			if ms.Sys > peakSys.Load() {
				peakSys.Store(ms.Sys)
			}
			select {
			case <-memDone:
				return
			case <-t.C:
			}
		}
	}()

	// The flood, for dur.
	chunk := flood()
	sentCRC := crc32.NewIEEE()
	var sent int64
	start := time.Now()
	floodDone := make(chan error, 1)
	go func() {
		for time.Since(start) < dur {
			n, err := dev.Write(chunk)
			sent += int64(n)
			sentCRC.Write(chunk[:n])
			if err != nil {
				floodDone <- err
				return
			}
		}
		floodDone <- nil
	}()
	keys := time.NewTicker(keyEvery)
	i := 0
flooding:
	for {
		select {
		case err := <-floodDone:
			if err != nil {
				return fmt.Errorf("flood: %w", err)
			}
			break flooding
		case err := <-done:
			return fmt.Errorf("the TUI stopped during the flood: %v", err)
		case <-keys.C:
			c := rune('a' + i%26)
			i++
			keyMu.Lock()
			pressed = append(pressed, time.Now())
			keyMu.Unlock()
			if noTUI {
				con.Send([]byte(string(c)))
			} else {
				p.Send(tea.KeyPressMsg{Code: c, Text: string(c)})
			}
		}
	}
	keys.Stop()
	res.elapsed = time.Since(start)

	// Let the line drain: everything sent must reach the pane.
	drain, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	for received.Load() < sent && drain.Err() == nil {
		select {
		case <-drain.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	res.drained = time.Since(start)
	// And the last keys must reach the device.
	for drain.Err() == nil {
		keyMu.Lock()
		n := len(arrived)
		keyMu.Unlock()
		if n >= len(pressed) {
			break
		}
		select {
		case <-drain.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !noTUI {
		p.Quit()
		if err := <-done; err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			return fmt.Errorf("the TUI: %w", err)
		}
	}
	close(memDone)

	res.sent, res.received = sent, received.Load()
	res.sentCRC = sentCRC.Sum32()
	recvMu.Lock()
	res.recvCRC = recvCRC.Sum32()
	recvMu.Unlock()
	res.dataMsgs = dataMsgs.Load()
	keyMu.Lock()
	for k, t := range pressed {
		if k < len(arrived) {
			res.latencies = append(res.latencies, arrived[k].Sub(t))
		} else {
			res.lostKeys++
		}
	}
	keyMu.Unlock()
	res.peakHeap, res.peakSys = peakHeap.Load(), peakSys.Load()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		res.maxRSSKiB = maxRSSKiB(ru)
		res.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	report(baud, res)
	if res.sent != res.received || res.sentCRC != res.recvCRC || res.lostKeys > 0 {
		return errors.New("bytes were lost or changed on the way to the pane")
	}
	return nil
}

func report(baud int, r result) {
	slices.Sort(r.latencies)
	pct := func(q float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
	}
	same := "EQUAL"
	if r.sent != r.received || r.sentCRC != r.recvCRC {
		same = "DIFFERENT"
	}
	fmt.Printf("baud %d, flood %.0f s\n", baud, r.elapsed.Seconds())
	fmt.Printf("  bytes sent by the device  %d (crc32 %08x)\n", r.sent, r.sentCRC)
	fmt.Printf("  bytes received by pane    %d (crc32 %08x)  %s\n", r.received, r.recvCRC, same)
	fmt.Printf("  throughput                %.0f B/s into the pane (line limit %d B/s)\n", float64(r.received)/r.drained.Seconds(), baud/10)
	fmt.Printf("  DataMsgs                  %d (%.1f per second, %.0f bytes each)\n", r.dataMsgs, float64(r.dataMsgs)/r.elapsed.Seconds(), float64(r.received)/float64(max(r.dataMsgs, 1)))
	fmt.Printf("  key press → device        median %v, p99 %v, max %v over %d keys (%d lost)\n",
		pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond), len(r.latencies), r.lostKeys)
	fmt.Printf("  CPU time (whole process)  %v (%.0f%% of one core; the simulated line runs in it too)\n", r.cpu.Round(time.Millisecond), 100*r.cpu.Seconds()/r.elapsed.Seconds())
	fmt.Printf("  peak memory               heap in use %.1f MiB, from OS %.1f MiB, max RSS %.1f MiB\n",
		float64(r.peakHeap)/(1<<20), float64(r.peakSys)/(1<<20), float64(r.maxRSSKiB)/1024)
}
