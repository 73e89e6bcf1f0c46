/**
 * A small image root filesystem for `rootfs: { dir }`, made from the host's busybox (Debian's
 * busybox-static), without any network: a merged-/usr layout like a Debian image (/bin, /sbin and
 * /lib are links into /usr), busybox's applets as links, and an /etc of the image's own (os-release,
 * a passwd the sandbox must replace). What `docker export` of a busybox image gives, in small.
 * JavaScript, for bench/rootfs.mjs too.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const IMAGE_OS_RELEASE = 'PRETTY_NAME="nsjail test image (busybox)"\nID=nsjail-test\n'

/**
 * @param {string} dir an empty folder, made readable to the sandbox user
 * @param {string} busybox the host's busybox
 */
export function busyboxImage(dir, busybox) {
  fs.mkdirSync(path.join(dir, 'usr/bin'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'usr/sbin'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'etc'))
  for (const [link, target] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib']]) fs.symlinkSync(target, path.join(dir, link))
  fs.copyFileSync(busybox, path.join(dir, 'usr/bin/busybox'))
  fs.chmodSync(path.join(dir, 'usr/bin/busybox'), 0o755)
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean)
  for (const applet of applets) {
    // bin/ and sbin/ are links into usr/: write through them, as `busybox --install -s` would.
    const at = path.join(dir, applet.replace(/^(s?bin)\//, 'usr/$1/'))
    if (!fs.existsSync(at)) fs.symlinkSync('/usr/bin/busybox', at)
  }
  fs.writeFileSync(path.join(dir, 'etc/os-release'), IMAGE_OS_RELEASE)
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nimageuser:x:1234:1234::/home/imageuser:/bin/sh\n')
  fs.writeFileSync(path.join(dir, 'etc/hostname'), 'image\n')
}
