package serialcon_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"fieldcon/serialcon"
)

func ExampleDetectPrompt() {
	out := []byte("The system is unable to boot automatically.  The BOOT\r\n" +
		"environment variable needs to be set to a bootable image.\r\n" +
		"switch: ")
	kind, line := serialcon.DetectPrompt(out)
	fmt.Println(kind, line)
	// Output: switch-loader switch:
}

func ExampleOpenConsole() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := serialcon.OpenConsole(ctx, serialcon.Config{
		Path:     "/dev/ttyUSB0",
		Settings: serialcon.DefaultSettings(9600),
		LogDir:   "logs",
	})
	if err != nil {
		log.Fatal(err) // e.g. "no such port /dev/ttyUSB0; connected adapters: …"
	}
	defer c.Close()
	if err := c.SendLine(""); err != nil {
		log.Fatal(err)
	}
	m, err := c.Expect(ctx, serialcon.Prompt(serialcon.PromptSwitchLoader, serialcon.PromptROMMON))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("at", m.Prompt)
}
