package images_test

import (
	"bytes"
	"context"
	"fmt"

	"fieldcon/images"
	"fieldcon/images/imagestest"
)

func ExampleInspect() {
	// A synthetic autonomous AP bundle, renamed the way an AP asks for it in
	// MODE-button recovery.
	b := imagestest.Bundle{Platform: "c1240", FeatureSet: "k9w7", Runnable: "mx", Version: "124-25d.JA1", ImageSize: 64 << 10}
	data := b.Bytes()
	img, err := images.Inspect(context.Background(), bytes.NewReader(data), int64(len(data)),
		images.Options{Name: "c1240-k9w7-tar.default"})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := img.Identity()
	fmt.Println(img.Format.Describe(), id.Platform, id.APMode, id.Version)

	v := images.Evaluate(img, images.UseAPModeRecovery, images.Device{})
	fmt.Println(v.Level, "-", v.AskedName)

	v = images.Evaluate(img, images.UseLoaderBoot, images.Device{})
	fmt.Println(v.Level, "-", v.Reason)
	// Output:
	// Cisco tar bundle c1240 autonomous 12.4(25d)JA1
	// OK - c1240-k9w7-tar.default
	// will fail - A .tar is not bootable; only the .bin inside it is.
}
