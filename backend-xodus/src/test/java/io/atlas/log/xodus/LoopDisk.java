package io.atlas.log.xodus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small ext4 file system (no journal, like this machine's root) on a loop device, whose power can be
 * cut: {@code xfs_io -x -c shutdown} stops all I/O at once and drops what was not written, as a power
 * loss does (SPEC section 6). Needs root, losetup, mkfs.ext4, e2fsck and xfs_io.
 */
final class LoopDisk implements AutoCloseable {

    private static final List<String> TOOLS = List.of("losetup", "mkfs.ext4", "e2fsck", "mount", "umount", "xfs_io");

    private final Path image;
    private final Path mountPoint;
    private final String device;
    private boolean mounted;

    private LoopDisk(Path image, Path mountPoint, String device) {
        this.image = image;
        this.mountPoint = mountPoint;
        this.device = device;
    }

    /** Why a power-loss test cannot run here, or null when it can. */
    static String missing() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "power-loss test skipped: it needs root to mount a loop device (running as " + System.getProperty("user.name") + ")";
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            return "power-loss test skipped: no loop devices here (/dev/loop-control is missing)";
        }
        List<String> absent = new ArrayList<>();
        for (String tool : TOOLS) {
            if (find(tool) == null) {
                absent.add(tool);
            }
        }
        return absent.isEmpty() ? null : "power-loss test skipped: missing tools " + absent
                + " (Debian packages util-linux, e2fsprogs, mount, xfsprogs)";
    }

    private static Path find(String tool) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    static LoopDisk create(Path dir, long bytes) throws IOException, InterruptedException {
        Path image = dir.resolve("disk.img");
        Path mountPoint = dir.resolve("mnt");
        Files.createDirectories(mountPoint);
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(bytes);
        }
        String device = run("losetup", "-f", "--show", image.toString()).trim();
        LoopDisk disk = new LoopDisk(image, mountPoint, device);
        try {
            run("mkfs.ext4", "-q", "-O", "^has_journal", device);
            disk.mount();
        } catch (IOException | RuntimeException e) {
            disk.close();
            throw e;
        }
        return disk;
    }

    Path mountPoint() {
        return mountPoint;
    }

    /** Cuts the power: no write reaches the disk from now on; what was not on it is lost. */
    void cutPower() throws IOException, InterruptedException {
        run("xfs_io", "-x", "-c", "shutdown", mountPoint.toString());
    }

    /** Unmounts, checks the file system as a boot would, and mounts it again. */
    void remount() throws IOException, InterruptedException {
        unmount();
        Process fsck = new ProcessBuilder(find("e2fsck").toString(), "-fy", device).redirectErrorStream(true).start();
        String out = new String(fsck.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!fsck.waitFor(60, TimeUnit.SECONDS) || fsck.exitValue() > 2) {
            throw new IOException("e2fsck -fy " + device + " failed: " + out);
        }
        mount();
    }

    private void mount() throws IOException, InterruptedException {
        run("mount", device, mountPoint.toString());
        mounted = true;
    }

    private void unmount() throws IOException, InterruptedException {
        if (mounted) {
            try {
                run("umount", mountPoint.toString());
            } catch (IOException e) {
                throw new IOException(e.getMessage() + "; this JVM has open there: " + openFilesUnder(mountPoint), e);
            }
            mounted = false;
        }
    }

    /** Files under {@code dir} that this JVM holds open (for the message of a failed unmount). */
    private static List<String> openFilesUnder(Path dir) throws IOException {
        List<String> open = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(dir)) {
                        open.add(target.toString());
                    }
                } catch (IOException gone) {
                    // the descriptor closed while listing: not open any more
                }
            }
        }
        return open;
    }

    @Override
    public void close() throws IOException {
        try {
            try {
                unmount();
            } finally {
                run("losetup", "-d", device);
                Files.deleteIfExists(image);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while releasing " + device);
        }
    }

    private static String run(String tool, String... args) throws IOException, InterruptedException {
        Path exe = find(tool);
        if (exe == null) {
            throw new IOException(tool + " not found");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
