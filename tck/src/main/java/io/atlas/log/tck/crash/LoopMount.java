package io.atlas.log.tck.crash;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An ext4 file system on a loop device, on which a power loss can be simulated: {@link #cutPower()}
 * runs {@code xfs_io -x -c shutdown}, which stops the file system at once without flushing its
 * journal or dirty pages (without {@code -f}), so only what was synced is on the "disk";
 * {@link #remount()} then mounts it again, replaying the journal as after a reboot. Needs root (SPEC
 * section 6). {@link #close()} unmounts, detaches the loop device and deletes the image, and is also
 * run by a shutdown hook if the JVM ends first.
 */
public final class LoopMount implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LoopMount.class.getName());
    private static final List<String> COMMANDS = List.of("losetup", "mkfs.ext4", "mount", "umount", "xfs_io", "kill");
    private static final List<String> SEARCH = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin",
            "/usr/local/bin");

    private final Path image;
    private final Path mountPoint;
    private final String device;
    private final Thread cleanupHook;
    private boolean mounted;
    private boolean closed;

    private LoopMount(Path image, Path mountPoint, String device) {
        this.image = image;
        this.mountPoint = mountPoint;
        this.device = device;
        this.cleanupHook = new Thread(this::closeQuietlyAtExit, "loop-mount-cleanup");
    }

    /**
     * Why power-loss tests cannot run here, or empty when they can: they need Linux, root,
     * {@code /dev/loop-control} and the commands losetup, mkfs.ext4, mount, umount and xfs_io.
     */
    public static Optional<String> unavailableReason() {
        List<String> missing = new ArrayList<>();
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("power-loss tests need Linux (ext4 on a loop device), this is "
                    + System.getProperty("os.name"));
        }
        if (uid() != 0) {
            missing.add("root (running as uid " + uid() + ")");
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            missing.add("loop device support (/dev/loop-control)");
        }
        for (String c : COMMANDS) {
            if (find(c).isEmpty()) {
                missing.add(c);
            }
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("power-loss tests need root, a loop device and the commands " + String.join(", ", COMMANDS)
                + " (Debian: apt-get install util-linux mount e2fsprogs xfsprogs procps); missing: " + String.join(", ", missing));
    }

    /**
     * Creates a sparse image of {@code sizeBytes} in {@code workDir}, attaches it to a free loop device,
     * makes an ext4 file system on it and mounts it at {@code workDir/mnt}. {@link #close()} deletes
     * {@code workDir} when nothing else is left in it.
     *
     * @throws IOException if a step fails; what was set up is undone first
     */
    public static LoopMount create(Path workDir, long sizeBytes) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path image = workDir.resolve("disk.img");
        Files.deleteIfExists(image);
        Files.createFile(image, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(sizeBytes);
        }
        Path mnt = workDir.resolve("mnt");
        Files.createDirectories(mnt);
        String device;
        try {
            device = run("losetup", "-f", "--show", image.toString()).trim();
        } catch (IOException e) {
            Files.deleteIfExists(image);
            throw e;
        }
        LoopMount m = new LoopMount(image, mnt, device);
        Runtime.getRuntime().addShutdownHook(m.cleanupHook);
        try {
            run("mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", device);
            m.mount();
        } catch (IOException | RuntimeException e) {
            try {
                m.close();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return m;
    }

    /** Where the file system is mounted. */
    public Path mountPoint() {
        return mountPoint;
    }

    /** Stops the file system now, dropping everything not yet synced: a simulated power loss. */
    public void cutPower() throws IOException, InterruptedException {
        run("xfs_io", "-x", "-c", "shutdown", mountPoint.toString());
    }

    /**
     * Writes a file of random bytes without syncing it, to show that {@link #cutPower()} drops unsynced
     * data: after the cut and {@link #remount()}, {@link UnsyncedProbe#lost()} must be true.
     */
    public UnsyncedProbe writeUnsyncedProbe() throws IOException {
        byte[] content = new byte[1 << 20];
        new SplittableRandom(System.nanoTime()).nextBytes(content);
        Path file = Files.createTempFile(mountPoint, "unsynced-probe-", ".bin");
        Files.write(file, content);
        return new UnsyncedProbe(file, content);
    }

    /** A file written without fsync; see {@link #writeUnsyncedProbe()}. */
    public static final class UnsyncedProbe {
        private final Path file;
        private final byte[] content;

        private UnsyncedProbe(Path file, byte[] content) {
            this.file = file;
            this.content = content;
        }

        /** Whether the file's content did not survive: it is missing, shorter, or differs. */
        public boolean lost() throws IOException {
            return !Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), content);
        }

        @Override
        public String toString() {
            return file + " (" + content.length + " bytes)";
        }
    }

    /** Unmounts and mounts again: the "reboot" after {@link #cutPower()}. */
    public void remount() throws IOException, InterruptedException {
        unmount();
        mount();
    }

    private void mount() throws IOException, InterruptedException {
        run("mount", "-t", "ext4", device, mountPoint.toString());
        mounted = true;
    }

    private void unmount() throws IOException, InterruptedException {
        if (!mounted) {
            return;
        }
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                run("umount", mountPoint.toString());
                mounted = false;
                return;
            } catch (IOException e) {
                // "target is busy" right after a kill, until the kernel has closed the dead child's files
                last = e;
                Thread.sleep(100);
            }
        }
        throw last;
    }

    /** Unmounts, detaches the loop device and deletes the image; tries every step even if one fails. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        try {
            try {
                unmount();
            } catch (IOException e) {
                failure = e;
            }
            try {
                run("losetup", "-d", device);
                Files.deleteIfExists(image);
                if (!mounted) {
                    Files.deleteIfExists(mountPoint);
                    deleteIfEmpty(image.getParent());
                }
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IOException("interrupted while releasing " + device + " mounted at " + mountPoint, e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupHook);
            } catch (IllegalStateException shuttingDown) {
                // close() runs from the hook itself while the JVM shuts down
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void deleteIfEmpty(Path dir) throws IOException {
        boolean empty;
        try (Stream<Path> entries = Files.list(dir)) {
            empty = entries.findAny().isEmpty();
        }
        if (empty) {
            Files.delete(dir);
        }
    }

    private void closeQuietlyAtExit() {
        try {
            close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not release loop device " + device + " at " + mountPoint
                    + "; release it with: umount " + mountPoint + "; losetup -d " + device, e);
        }
    }

    /**
     * Runs a system command and returns its output.
     *
     * @throws IOException naming the command, its exit code and output, if it fails or takes over 60 s
     */
    static String run(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, find(command[0]).orElse(command[0]));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(output);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "reading output of " + cmd + " failed", e);
            }
        }, "command-output");
        drain.setDaemon(true);
        drain.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("command " + String.join(" ", cmd) + " did not finish within 60 s");
        }
        drain.join(10_000);
        String out = output.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("command " + String.join(" ", cmd) + " failed with exit code " + p.exitValue()
                    + ": " + out.trim());
        }
        return out;
    }

    static Optional<String> find(String command) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(SEARCH);
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return Optional.of(Path.of(d, command).toString());
            }
        }
        return Optional.empty();
    }

    static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot read the process uid from /proc/self", e);
            return -1;
        }
    }

    @Override
    public String toString() {
        return "ext4 on " + device + " (" + image + ") mounted at " + mountPoint;
    }
}
