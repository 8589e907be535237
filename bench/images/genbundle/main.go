// Command genbundle writes a synthetic Cisco-style tar bundle (info first,
// image directory, device-manager files, a runnable image with an MZIP
// header, info.ver last) of about the requested size, for benchmarks. The
// content is pseudo-random filler, never a real image.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"fieldcon/images/imagestest"
)

func main() {
	out := flag.String("o", "", "output file")
	mb := flag.Int64("mb", 300, "approximate size in MiB")
	flag.Parse()
	if *out == "" || *mb <= 0 {
		fmt.Fprintln(os.Stderr, "usage: genbundle -o FILE [-mb 300]")
		os.Exit(2)
	}
	b := imagestest.Bundle{
		Platform: "cat3k_caa", FeatureSet: "universalk9", Version: "152-2.E6",
		ImageSize: *mb<<20 - 2<<20, WebFiles: 400,
	}
	if err := write(*out, b); err != nil {
		fmt.Fprintln(os.Stderr, "genbundle:", err)
		os.Exit(1)
	}
}

func write(path string, b imagestest.Bundle) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := b.Write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
