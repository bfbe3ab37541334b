package io.atlas.log.tck.crash;

import io.atlas.log.Decision;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * G8 on a real full disk: a small tmpfs ({@code mount -t tmpfs -o size=...}) fills up under a writer;
 * the write that meets ENOSPC must throw {@link PersistentLogException}, every later write must throw
 * too (fail-stop), and once the tmpfs is remounted larger, the log must reopen with every decision
 * that was acknowledged before the failure, byte for byte.
 */
public final class FullDisk implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FullDisk.class.getName());

    private final Path mountPoint;
    private final long sizeBytes;
    private boolean mounted;

    private FullDisk(Path mountPoint, long sizeBytes) {
        this.mountPoint = mountPoint;
        this.sizeBytes = sizeBytes;
    }

    /** Why the test cannot run here, or empty: it needs Linux, root and the mount and umount commands. */
    public static Optional<String> unavailableReason() {
        List<String> missing = new ArrayList<>();
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            missing.add("Linux");
        }
        if (LoopMount.uid() != 0) {
            missing.add("root (running as uid " + LoopMount.uid() + ")");
        }
        for (String command : List.of("mount", "umount")) {
            if (LoopMount.find(command).isEmpty()) {
                missing.add(command + " (Debian: apt-get install mount)");
            }
        }
        return missing.isEmpty() ? Optional.empty()
                : Optional.of("disk-full test mounts a small tmpfs and needs Linux, root, mount and umount; missing: "
                        + String.join(", ", missing));
    }

    /** Mounts a tmpfs of {@code sizeBytes} at {@code mountPoint}. */
    public static FullDisk mount(Path mountPoint, long sizeBytes) throws IOException, InterruptedException {
        Files.createDirectories(mountPoint);
        FullDisk disk = new FullDisk(mountPoint, sizeBytes);
        LoopMount.run("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes + ",mode=0700", "tmpfs", mountPoint.toString());
        disk.mounted = true;
        return disk;
    }

    /** Gives the tmpfs more room, keeping its contents. */
    public void grow(long sizeBytes) throws IOException, InterruptedException {
        LoopMount.run("mount", "-o", "remount,size=" + sizeBytes, mountPoint.toString());
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /**
     * Runs the check and returns the violations found (empty when G8 holds).
     *
     * @param settings adjusts the log configuration (backend options, segment size)
     */
    public List<String> check(StorageProvider provider, UnaryOperator<PersistentLogConfig.Builder> settings, long seed,
                              long grownSize) throws IOException, InterruptedException {
        String backend = provider.name();
        List<String> violations = new ArrayList<>();
        Path dir = mountPoint.resolve("log");
        PersistentLogConfig config = settings.apply(PersistentLogConfig.builder(dir)
                .syncPolicy(SyncPolicy.everyWrite())).build();
        SplittableRandom random = new SplittableRandom(seed);
        List<byte[]> acked = new ArrayList<>();
        long ackedBytes = 0;
        PersistentLogException failure = null;
        RuntimeException other = null;
        PersistentLog<byte[], byte[], byte[]> log = LogOpener.open(config, provider);
        try {
            // four times the disk's size is more than any backend can fit: past it, the disk "never filled up"
            for (int i = 0; ackedBytes < 4 * sizeBytes && failure == null && other == null; i++) {
                byte[] payload = new byte[1024 + random.nextInt(8192)];
                random.nextBytes(payload);
                try {
                    log.storeDecision(Decision.of(SeqNo.of(i), payload));
                    acked.add(payload);
                    ackedBytes += payload.length;
                } catch (PersistentLogException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    other = e;
                }
            }
            if (other != null) {
                violations.add("[" + backend + "] G8: a full disk must surface as PersistentLogException, got " + other);
            } else if (failure == null) {
                violations.add("[" + backend + "] G8: the disk never filled up; the check proved nothing");
            } else {
                LOG.log(System.Logger.Level.INFO, "[" + backend + "] full disk after " + acked.size()
                        + " acknowledged decisions: " + failure);
                try {
                    log.storeDecision(Decision.of(SeqNo.of(acked.size()), new byte[16]));
                    violations.add("[" + backend + "] G8: a store after the failed write was acknowledged; the log must be fail-stop");
                } catch (PersistentLogException expected) {
                    // fail-stop: every write after the failure is refused
                }
            }
        } finally {
            try {
                log.close();
            } catch (PersistentLogException e) {
                LOG.log(System.Logger.Level.DEBUG, "[" + backend + "] close of the failed log: " + e);
            }
        }
        grow(grownSize);
        try (PersistentLog<byte[], byte[], byte[]> reopened = LogOpener.open(config, provider)) {
            List<Decision<byte[]>> stored = reopened.retrieveDecisionsAfter(SeqNo.ZERO);
            Optional<Decision<byte[]>> first = reopened.retrieveDecision(SeqNo.ZERO);
            List<Decision<byte[]>> all = new ArrayList<>();
            first.ifPresent(all::add);
            all.addAll(stored);
            if (all.size() < acked.size()) {
                violations.add("[" + backend + "] G8: after the disk had room again the log holds " + all.size()
                        + " decisions, but " + acked.size() + " were acknowledged before the failure");
            }
            for (int i = 0; i < Math.min(all.size(), acked.size()); i++) {
                Decision<byte[]> d = all.get(i);
                if (d.seqNo().value() != i || !Arrays.equals(d.payload(), acked.get(i))) {
                    violations.add("[" + backend + "] G2/G8: decision " + i + " differs from what was acknowledged");
                    break;
                }
            }
            reopened.storeDecision(Decision.of(SeqNo.of(all.size()), new byte[] {1, 2, 3}));
        } catch (PersistentLogException e) {
            violations.add("[" + backend + "] G8: the log does not reopen once the disk has room again: " + e);
        }
        return violations;
    }

    @Override
    public void close() throws IOException {
        if (mounted) {
            try {
                LoopMount.run("umount", mountPoint.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while unmounting the tmpfs at " + mountPoint, e);
            }
            mounted = false;
        }
    }
}
