// Package npmlibs is the set of real npm component libraries that trustgate is
// measured against, and the code that turns each into a one-page app. The
// scanner's tests check that real code raises no false alarms, and the load
// harness submits the same code to the running service; both must mean the
// same libraries at the same versions, packed once into the same cache folder,
// so the list and the wrapping live here and nowhere else.
package npmlibs

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Library is a component library as the platforms' tools vendor it: the
// folder the package publishes for mini-programs, copied where the tools put
// it.
type Library struct {
	Spec      string // what npm pack is given: name@version
	Tarball   string // the file npm pack writes for Spec
	Dist      string // folder of the package the platform's tools copy
	VendorAs  string // where that folder lands in an app
	Platform  string // "alipay" or "wechat", the scanner's platform names
	Component string // usingComponents path of one component
}

// Libraries are the libraries used, one or more per platform.
var Libraries = []Library{
	{"antd-mini@3.4.3", "antd-mini-3.4.3.tgz", "es", "node_modules/antd-mini/es", "alipay", "antd-mini/es/Button/index"},
	{"@vant/weapp@1.11.7", "vant-weapp-1.11.7.tgz", "lib", "miniprogram_npm/@vant/weapp", "wechat", "@vant/weapp/button/index"},
	{"tdesign-miniprogram@1.16.0", "tdesign-miniprogram-1.16.0.tgz", "miniprogram_dist", "miniprogram_npm/tdesign-miniprogram", "wechat", "tdesign-miniprogram/button/button"},
	{"weui-miniprogram@1.5.6", "weui-miniprogram-1.5.6.tgz", "miniprogram_dist", "miniprogram_npm/weui-miniprogram", "wechat", "weui-miniprogram/dialog/dialog"},
}

// Pack returns the path of each library's tarball, in the order of
// Libraries, packing the ones not yet in the cache folder.
func Pack() ([]string, error) {
	paths := make([]string, 0, len(Libraries))
	for _, lib := range Libraries {
		p, err := Fetch(lib.Spec, lib.Tarball)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Fetch returns the path of spec's tarball, named tarball, in the cache
// folder, running npm pack when it is not there yet. The folder is the
// user's cache, outside any checkout, so that later runs work offline.
func Fetch(spec, tarball string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "trustgate-npm")
	tgz := filepath.Join(dir, tarball)
	if _, err := os.Stat(tgz); err == nil {
		return tgz, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create npm cache: %w", err)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", errors.New("npm is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "pack", spec, "--silent", "--pack-destination", dir)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm pack %s: %w: %s", spec, err, strings.TrimSpace(string(out)))
	}
	return tgz, nil
}

// App reads the library's published folder out of its tarball tgz and puts a
// one-page app around it: app.json, app.js, a page using the component and
// the platform's project file. It returns the app's files and the bytes of
// library source among them.
func (l Library) App(tgz string) (map[string]string, int64, error) {
	files, source, err := readDist(tgz, l.Dist, l.VendorAs)
	if err != nil {
		return nil, 0, fmt.Errorf("wrap %s as an app: %w", l.Spec, err)
	}
	files["app.json"] = `{"pages":["pages/index/index"]}`
	files["app.js"] = "App({})"
	files["pages/index/index.js"] = "Page({ data: { title: 'Hello' } })"
	files["pages/index/index.json"] = `{"usingComponents":{"lib-component":"` + l.Component + `"}}`
	if l.Platform == "alipay" {
		files["mini.project.json"] = `{"format":2,"compileType":"mini"}`
		files["pages/index/index.axml"] = `<lib-component>{{title}}</lib-component>`
	} else {
		files["project.config.json"] = `{"compileType":"miniprogram"}`
		files["pages/index/index.wxml"] = `<lib-component>{{title}}</lib-component>`
	}
	return files, source, nil
}

// readDist returns the regular files under package/dist/ in the tarball,
// renamed to sit under vendorAs, and their total size.
func readDist(tgz, dist, vendorAs string) (map[string]string, int64, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, 0, err
	}
	files := map[string]string{}
	var source int64
	tr := tar.NewReader(gz)
	prefix := "package/" + dist + "/"
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(hdr.Name, prefix) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, 0, err
		}
		files[vendorAs+"/"+strings.TrimPrefix(hdr.Name, prefix)] = string(b)
		source += int64(len(b))
	}
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("no files under %s", prefix)
	}
	return files, source, nil
}
