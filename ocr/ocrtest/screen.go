// Package ocrtest draws pictures of terminal screens for OCR tests, with a
// CJK font from the system (Debian's fonts-noto-cjk).
package ocrtest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// FontGlobs are where CJK font collections are looked for, in order.
var FontGlobs = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK*.ttc",
	"/usr/share/fonts/opentype/noto/*CJK*.ttc",
	"/usr/share/fonts/truetype/noto/*CJK*.ttc",
}

// ErrNoFont is returned when no CJK font is installed.
var ErrNoFont = errors.New("ocrtest: no CJK font found (install fonts-noto-cjk)")

// FontPath returns the first CJK font collection found on the system.
func FontPath() (string, error) {
	for _, g := range FontGlobs {
		m, _ := filepath.Glob(g)
		if len(m) > 0 {
			return m[0], nil
		}
	}
	return "", ErrNoFont
}

// Screen renders lines as black text on a white screen, 48 px high with wide
// margins: large and clean enough for tesseract, like a photo taken close up.
// It returns the PNG bytes.
func Screen(lines ...string) ([]byte, error) {
	path, err := FontPath()
	if err != nil {
		return nil, err
	}
	f, err := simplifiedChinese(path)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 48, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("ocrtest: face: %w", err)
	}
	defer face.Close()

	const margin, lineHeight = 60, 72
	width := 0
	for _, l := range lines {
		width = max(width, font.MeasureString(face, l).Ceil())
	}
	img := image.NewRGBA(image.Rect(0, 0, width+2*margin, len(lines)*lineHeight+2*margin))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(margin, margin+(i+1)*lineHeight-16)
		d.DrawString(l)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("ocrtest: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// simplifiedChinese picks the Simplified Chinese face of a collection (Noto
// CJK ships JP, KR, SC, TC and HK faces in one file), or the first face.
func simplifiedChinese(path string) (*sfnt.Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ocrtest: %w", err)
	}
	coll, err := opentype.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("ocrtest: parse %s: %w", path, err)
	}
	var first *sfnt.Font
	for i := range coll.NumFonts() {
		f, err := coll.Font(i)
		if err != nil {
			continue
		}
		if first == nil {
			first = f
		}
		name, err := f.Name(nil, sfnt.NameIDFamily)
		if err == nil && strings.HasSuffix(name, " SC") {
			return f, nil
		}
	}
	if first == nil {
		return nil, fmt.Errorf("ocrtest: %s holds no usable font", path)
	}
	return first, nil
}
