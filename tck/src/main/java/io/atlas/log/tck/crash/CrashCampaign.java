package io.atlas.log.tck.crash;

import io.atlas.log.CompactionMode;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.SyncPolicy;
import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.crash.CrashEvent.Op;
import io.atlas.log.tck.crash.CrashEvent.Type;
import io.atlas.log.tck.crash.CrashVerifier.Fault;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Runs real crashes against one storage provider and verifies the log after each: writer processes
 * killed with SIGKILL, processes killed while they recover, and power losses on an ext4 loop mount.
 * Used by {@link io.atlas.log.tck.CrashRecoveryTck}; each method returns a {@link Report} whose
 * violations name the guarantee broken, the run, the seed and the files kept for inspection.
 *
 * <p>Not thread-safe: one test at a time.
 */
public final class CrashCampaign {

    private static final System.Logger LOG = System.getLogger(CrashCampaign.class.getName());
    private static final List<SyncPolicy> POLICIES = List.of(SyncPolicy.everyWrite(),
            SyncPolicy.periodic(Duration.ofMillis(25)), SyncPolicy.none());
    /** Small segments, so a few hundred decisions of up to 64 KiB cross segment boundaries. */
    private static final long SEGMENT_SIZE = 1L << 20;
    /**
     * The decisions-only workload (the power-loss control) stores this many decisions, a few MiB, and
     * then holds the log open: far less than one segment, so no segment roll syncs any of them.
     */
    private static final int DECISIONS_ONLY_OPS = 600;
    private static final long CONTROL_SEGMENT_SIZE = 64L << 20;
    private static final long START_TIMEOUT_MILLIS = 60_000;
    private static final int MAX_VIOLATIONS_PER_LOG = 50;

    /**
     * What a campaign runs against.
     *
     * @param provider  the provider under test; the child processes make it from its class name or,
     *                  failing that, find it by name through {@link java.util.ServiceLoader}
     * @param scratch   a directory for logs, configuration files and child output (not the power-loss mount)
     * @param jvmFlags  flags for the child JVMs
     * @param seed      drives every random choice and every payload
     * @param configure applied to every log configuration (backend options); the kit then sets the sync
     *                  policy, retains two checkpoints and compacts manually
     */
    public record Settings(StorageProvider provider, Path scratch, List<String> jvmFlags, long seed,
                           UnaryOperator<PersistentLogConfig.Builder> configure) {
        public Settings {
            if (provider == null || scratch == null || jvmFlags == null || configure == null) {
                throw new IllegalArgumentException("crash campaign settings must not contain null, got provider="
                        + provider + ", scratch=" + scratch + ", jvmFlags=" + jvmFlags + ", configure=" + configure);
            }
            jvmFlags = List.copyOf(jvmFlags);
            // absolute: the child reads log paths from a properties file, which resolves relative ones against itself
            scratch = scratch.toAbsolutePath();
        }
    }

    /**
     * The outcome of one kind of run.
     *
     * @param violations every guarantee broken, each message naming the run and the guarantee; empty when all held
     * @param summary    counts and duration, for the build log
     */
    public record Report(List<String> violations, String summary) {
        public boolean passed() {
            return violations.isEmpty();
        }
    }

    private final Settings settings;
    private final String backend;
    private final String providerClass;
    private int lives;
    private int kills;
    private int killsDuringRecovery;
    private int powerLosses;
    private int controlLost;

    public CrashCampaign(Settings settings) throws IOException {
        this.settings = settings;
        this.backend = settings.provider().name();
        this.providerClass = LogOpener.instantiable(settings.provider()) ? settings.provider().getClass().getName() : "";
        Files.createDirectories(settings.scratch());
    }

    public int kills() {
        return kills;
    }

    public int killsDuringRecovery() {
        return killsDuringRecovery;
    }

    public int powerLosses() {
        return powerLosses;
    }

    /** Acknowledged decisions the power-loss control runs lost (they must lose some). */
    public int controlLost() {
        return controlLost;
    }

    /** A new directory under the scratch directory, owner-only. */
    public Path newScratchDirectory(String prefix) throws IOException {
        return Files.createTempDirectory(settings.scratch(), prefix + "-");
    }

    /**
     * One log lives through {@code n} writer processes, each SIGKILLed at a random moment (after a
     * random number of protocol events, or a random time, whichever comes first) and verified,
     * twice, by reopening before the next one starts. The sync policy cycles through every-write,
     * periodic and none; under each, everything acknowledged must survive a process kill.
     */
    public Report processKills(int n) throws IOException, InterruptedException {
        return processKills(n, POLICIES, Workload.Mix.MIXED);
    }

    /** {@link #processKills(int)} with the given policies in turn and workload. */
    Report processKills(int n, List<SyncPolicy> policies, Workload.Mix mix) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path run = newScratchDirectory("kills");
        SplittableRandom random = new SplittableRandom(Payloads.mix(settings.seed(), 0x4b494c4cL));
        List<String> violations = new ArrayList<>();
        Optional<LogSnapshot> baseline = Optional.empty();
        Totals totals = new Totals();
        for (int i = 0; i < n && violations.isEmpty(); i++) {
            SyncPolicy policy = policies.get(i % policies.size());
            PersistentLogConfig config = config(run.resolve("log"), policy, SEGMENT_SIZE);
            String what = "[" + backend + "] process kill " + (i + 1) + "/" + n + " (" + policy + ")";
            CrashHistory history = new CrashHistory(baseline);
            runWriter(what, history, config, run, mix, killPlan(random, mix), null, violations);
            kills++;
            baseline = verify(what, history, config, Fault.PROCESS_KILL, violations, totals);
        }
        return report(run, violations, n + " process kills of writers (sync policies " + names(policies)
                + " in turn); " + totals + "; " + seconds(start));
    }

    /**
     * {@code n} times: a writer is SIGKILLed, then a process that opens and recovers the log in a loop
     * is SIGKILLed at a random moment of its first recoveries, then the log is verified. What a killed
     * recovery reported must be exactly what the next recovery finds.
     */
    public Report killsDuringRecovery(int n) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path run = newScratchDirectory("recovery-kills");
        SplittableRandom random = new SplittableRandom(Payloads.mix(settings.seed(), 0x5245434fL));
        List<String> violations = new ArrayList<>();
        Optional<LogSnapshot> baseline = Optional.empty();
        Totals totals = new Totals();
        int beforeFirstRecovery = 0;
        for (int i = 0; i < n && violations.isEmpty(); i++) {
            SyncPolicy policy = POLICIES.get(i % POLICIES.size());
            PersistentLogConfig config = config(run.resolve("log"), policy, SEGMENT_SIZE);
            String what = "[" + backend + "] kill during recovery " + (i + 1) + "/" + n + " (" + policy + ")";
            CrashHistory history = new CrashHistory(baseline);
            runWriter(what, history, config, run, Workload.Mix.MIXED, killPlan(random, Workload.Mix.MIXED), null, violations);
            kills++;
            if (!violations.isEmpty()) {
                break;
            }
            long estimateMicros = history.eventsOfCurrentLife(Type.RECOVERED).stream()
                    .mapToLong(CrashEvent::seq).findFirst().orElse(200_000);
            history.startLife(++lives, SyncPolicy.everyWrite());
            Path configFile = writeConfig(config, run);
            List<String> recovered;
            try (ChildProcess child = ChildProcess.start(command(List.of("mode=recover", "config=" + configFile,
                    "provider=" + providerClass, "seed=" + settings.seed(), "iterations=1000000", "maxSeconds=120")),
                    history, stderrFile(run, "life-" + lives + "-recover"))) {
                if (!child.await(h -> h.count(Type.OPENING, null) > 0, START_TIMEOUT_MILLIS)) {
                    violations.add(what + ": the recovering process did not start: " + child.describeEnd());
                    break;
                }
                long delayMicros = random.nextLong(Math.max(1_000, estimateMicros * 5 / 2));
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(delayMicros));
                if (!child.alive()) {
                    violations.add(what + ": the recovering process ended before the kill: " + child.describeEnd());
                }
                child.kill();
                killsDuringRecovery++;
                recovered = history.eventsOfCurrentLife(Type.RECOVERED).stream().map(CrashEvent::text).toList();
                for (CrashEvent e : history.eventsOfCurrentLife(Type.ERROR)) {
                    violations.add(what + ": recovery failed before the kill: " + e.text() + "\n" + child.stderrTail(20));
                }
                child.protocolErrors().forEach(p -> violations.add(what + ": HARNESS: " + p));
            }
            if (recovered.isEmpty()) {
                beforeFirstRecovery++;
            }
            baseline = verify(what, history, config, Fault.PROCESS_KILL, violations, totals);
            if (baseline.isPresent()) {
                String now = baseline.get().summary();
                for (String s : recovered) {
                    if (!s.equals(now)) {
                        violations.add(what + ": G6: recovery is not idempotent across processes: a recovery that was "
                                + "later killed saw " + s + ", the next recovery found " + now);
                        break;
                    }
                }
            }
        }
        return report(run, violations, n + " kills during recovery (" + beforeFirstRecovery
                + " before the first recovery completed), after " + n + " writer kills; " + totals + "; " + seconds(start));
    }

    /**
     * {@code n} times on a fresh log on {@code mount}: a writer runs (every-write and periodic in turn),
     * the power is cut at a random moment, the writer is SIGKILLed, the file system is mounted again and
     * the log verified: every decision acknowledged as durable (every-write, a completed future, a
     * later sync or checkpoint) must be there.
     */
    public Report powerLosses(int n, LoopMount mount) throws IOException, InterruptedException {
        return powerLosses(n, mount, POLICIES.subList(0, 2), Workload.Mix.MIXED);
    }

    /** {@link #powerLosses(int, LoopMount)} with the given policies in turn and workload. */
    Report powerLosses(int n, LoopMount mount, List<SyncPolicy> policies, Workload.Mix mix)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path run = newScratchDirectory("power-losses");
        SplittableRandom random = new SplittableRandom(Payloads.mix(settings.seed(), 0x504f5745L));
        List<String> violations = new ArrayList<>();
        Totals totals = new Totals();
        for (int i = 0; i < n && violations.isEmpty(); i++) {
            SyncPolicy policy = policies.get(i % policies.size());
            Path logDir = Files.createTempDirectory(mount.mountPoint(), "log-");
            PersistentLogConfig config = config(logDir, policy, SEGMENT_SIZE);
            String what = "[" + backend + "] power loss " + (i + 1) + "/" + n + " (" + policy + ")";
            CrashHistory history = new CrashHistory(Optional.empty());
            runWriter(what, history, config, run, mix, killPlan(random, mix), mount::cutPower, violations);
            mount.remount();
            powerLosses++;
            // the log as the cut left it, before recovery changes it: kept for a post-mortem when the check fails
            Path asCrashed = run.resolve("crashed-log-" + (i + 1));
            copyTree(logDir, asCrashed);
            int before = violations.size();
            verify(what, history, config, Fault.POWER_LOSS, violations, totals);
            if (violations.size() == before) {
                deleteTree(asCrashed);
            }
        }
        return report(run, violations, n + " power losses (sync policies " + names(policies) + " in turn); "
                + totals + "; " + seconds(start));
    }

    /**
     * The proof that the power-loss runs can fail: a writer under {@link SyncPolicy#none()} stores a few
     * MiB of decisions (nothing that syncs), holds the log open for a moment, then the power is cut.
     * Acknowledged decisions must be lost, and so must a file the kit writes without fsync just before
     * the cut; if either survives, the power-loss runs cannot catch a missing fsync, which is reported
     * as a violation ("harness broken"). The log must still recover (G2, G5, G6).
     */
    public Report powerLossControl(LoopMount mount) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Path run = newScratchDirectory("power-control");
        SplittableRandom random = new SplittableRandom(Payloads.mix(settings.seed(), 0x434f4e54L));
        List<String> violations = new ArrayList<>();
        Totals totals = new Totals();
        Path logDir = Files.createTempDirectory(mount.mountPoint(), "control-");
        PersistentLogConfig config = config(logDir, SyncPolicy.none(), CONTROL_SEGMENT_SIZE);
        String what = "[" + backend + "] power-loss control (none)";
        CrashHistory history = new CrashHistory(Optional.empty());
        LoopMount.UnsyncedProbe[] probe = new LoopMount.UnsyncedProbe[1];
        runWriter(what, history, config, run, Workload.Mix.DECISIONS, killPlan(random, Workload.Mix.DECISIONS), () -> {
            probe[0] = mount.writeUnsyncedProbe();
            mount.cutPower();
        }, violations);
        mount.remount();
        boolean probeLost = probe[0] == null || probe[0].lost();
        verify(what, history, config, Fault.POWER_LOSS, violations, totals);
        controlLost += totals.lost;
        if (!probeLost) {
            violations.add(what + ": harness broken: a file written without fsync just before the power cut ("
                    + probe[0] + ") survived it, so the power cut does not drop unsynced data");
        } else if (violations.isEmpty() && totals.lost == 0) {
            violations.add(what + ": harness broken: power loss lost nothing under SyncPolicy.none() (all "
                    + totals.acknowledged + " acknowledged decisions survived, though a file written without fsync"
                    + " was lost), so the power-loss runs cannot catch a missing fsync of this backend");
        }
        return report(run, violations, "power-loss control under none: " + totals.lost + " of " + totals.acknowledged
                + " acknowledged decisions lost, as they must be; " + seconds(start));
    }

    /**
     * When to crash: after this many protocol events of the writer or this many milliseconds, whichever
     * comes first, then after {@code jitterNanos} more, so that crashes land inside operations too.
     */
    private record KillPlan(int events, long millis, long jitterNanos) {
    }

    /**
     * A random moment for the mixed workload; for the decisions-only workload, after enough
     * acknowledged decisions and a pause (while they sit unsynced in the page cache).
     */
    private static KillPlan killPlan(SplittableRandom random, Workload.Mix mix) {
        if (mix == Workload.Mix.DECISIONS) {
            return new KillPlan(DECISIONS_ONLY_OPS, 300 + random.nextInt(500), 0);
        }
        return new KillPlan(1 + random.nextInt(600), 100 + random.nextInt(2400), random.nextLong(2_000_000));
    }

    private static String names(List<SyncPolicy> policies) {
        return String.join(", ", policies.stream().map(SyncPolicy::toString).toList());
    }

    /** Counts over the verifications of one report. */
    private static final class Totals {
        int verified;
        int acknowledged;
        int required;
        int stored;
        int lost;

        void add(CrashVerifier.Result r) {
            verified++;
            acknowledged += r.acknowledged();
            required += r.required();
            stored += r.stored();
            lost += r.lostAcknowledged();
        }

        @Override
        public String toString() {
            return verified + " logs verified, " + acknowledged + " acknowledged decisions, " + required
                    + " required present, " + stored + " read back";
        }
    }

    /** Cuts the power of the file system the log is on; null for a process kill only. */
    @FunctionalInterface
    private interface PowerCut {
        void cut() throws IOException, InterruptedException;
    }

    private void runWriter(String what, CrashHistory history, PersistentLogConfig config, Path run, Workload.Mix mix,
                           KillPlan plan, PowerCut powerCut, List<String> violations)
            throws IOException, InterruptedException {
        int life = ++lives;
        history.startLife(life, config.syncPolicy());
        Path configFile = writeConfig(config, run);
        List<String> args = new ArrayList<>(List.of("mode=write", "config=" + configFile, "provider=" + providerClass,
                "seed=" + settings.seed(), "life=" + life, "mix=" + mix.name().toLowerCase(Locale.ROOT), "maxSeconds=120"));
        if (mix == Workload.Mix.DECISIONS) {
            // a bounded amount that stays inside one segment: no segment roll syncs any of it
            args.addAll(List.of("maxOps=" + DECISIONS_ONLY_OPS, "hold=true"));
        }
        try (ChildProcess child = ChildProcess.start(command(args), history, stderrFile(run, "life-" + life))) {
            if (!child.await(h -> h.count(Type.READY, null) > 0, START_TIMEOUT_MILLIS)) {
                violations.add(what + ": the writer did not open the log: " + child.describeEnd());
                return;
            }
            history.baseline().ifPresent(b -> {
                String expected = b.summary();
                history.eventsOfCurrentLife(Type.RECOVERED).stream().findFirst()
                        .filter(e -> !e.text().equals(expected))
                        .ifPresent(e -> violations.add(what + ": G6: recovery is not idempotent across processes: "
                                + "the log verified after the last crash held " + expected
                                + ", the next writer recovered " + e.text()));
            });
            if (mix == Workload.Mix.DECISIONS) {
                // all stored and the log idle: a backend that syncs data but not its last commit record
                // (LMDB with MDB_NOMETASYNC) can only lose what no later write flushed
                if (!child.await(h -> h.count(Type.DONE, null) > 0, 120_000)) {
                    violations.add(what + ": HARNESS: the writer did not store its " + DECISIONS_ONLY_OPS
                            + " decisions within 120 s (" + history.count(Type.ACK, Op.DECISION) + " acknowledged): "
                            + child.describeEnd());
                    return;
                }
                Thread.sleep(plan.millis());
            } else {
                int base = history.lifeSize();
                child.await(h -> h.lifeSize() >= base + plan.events(), plan.millis());
                LockSupport.parkNanos(plan.jitterNanos());
            }
            boolean aliveAtCrash = child.alive();
            if (powerCut != null) {
                // The writer is frozen first, so that the cut is one moment, as a power loss is: everything it
                // acknowledged, it acknowledged before the cut. Left running, it goes on storing and syncing
                // during the milliseconds xfs_io takes to start and shut the file system down, and a sync that
                // returns in that window is not always durable (the journal is aborted under it): the kit
                // then reported acknowledged decisions as lost that no backend could have kept.
                if (aliveAtCrash) {
                    child.freeze();
                }
                // marked first: the writer's I/O errors caused by the cut may arrive before cutPower() returns
                history.add(CrashEvent.of(Type.SHUTDOWN));
                powerCut.cut();
            }
            child.kill();
            if (!aliveAtCrash) {
                violations.add(what + ": the writer ended before the crash: " + child.describeEnd());
            }
            child.protocolErrors().forEach(p -> violations.add(what + ": HARNESS: " + p));
            for (CrashHistory.Entry e : history.entries()) {
                if (e.life() == life && e.event().type() == Type.SHUTDOWN) {
                    break;
                }
                if (e.life() == life && e.event().type() == Type.ERROR) {
                    violations.add(what + ": the writer failed before the crash: " + e.event().text()
                            + "\n--- writer stderr (" + child.stderrFile() + "):\n" + child.stderrTail(30));
                    break;
                }
            }
        }
    }

    /**
     * Opens the log in this JVM, verifies it against the history, then closes, reopens and checks that
     * recovery gives the same state again.
     *
     * @return the verified state, the baseline of the next history; empty when the log did not open
     */
    private Optional<LogSnapshot> verify(String what, CrashHistory history, PersistentLogConfig config, Fault fault,
                                         List<String> violations, Totals totals) {
        List<Long> checkpointSeqs = CrashVerifier.checkpointSeqs(history);
        LogSnapshot first;
        try (PersistentLog<byte[], byte[], byte[]> log = LogOpener.open(config, settings.provider())) {
            first = LogSnapshot.read(log, checkpointSeqs, Workload.META_KEYS);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, what + ": the log does not open or read after the " + fault, e);
            violations.add(what + ": G6: the log does not open and read back after the " + fault + ": " + describe(e));
            return Optional.empty();
        }
        CrashVerifier.Result result = CrashVerifier.verify(settings.seed(), history, first, fault);
        totals.add(result);
        List<String> found = result.violations();
        for (int i = 0; i < Math.min(found.size(), MAX_VIOLATIONS_PER_LOG); i++) {
            violations.add(what + ": " + found.get(i));
        }
        if (found.size() > MAX_VIOLATIONS_PER_LOG) {
            violations.add(what + ": ... and " + (found.size() - MAX_VIOLATIONS_PER_LOG) + " more violations");
        }
        try (PersistentLog<byte[], byte[], byte[]> log = LogOpener.open(config, settings.provider())) {
            LogSnapshot second = LogSnapshot.read(log, checkpointSeqs, Workload.META_KEYS);
            if (!second.summary().equals(first.summary())) {
                violations.add(what + ": G6: recovery is not idempotent: the first open after the " + fault
                        + " found " + first.summary() + ", the next " + second.summary());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, what + ": the log does not reopen after a clean close", e);
            violations.add(what + ": G6: the log does not reopen after the recovery that followed the " + fault
                    + ": " + describe(e));
        }
        return Optional.of(first);
    }

    private PersistentLogConfig config(Path logDir, SyncPolicy policy, long segmentSize) {
        PersistentLogConfig.Builder b = PersistentLogConfig.builder(logDir).maxSegmentSize(segmentSize);
        return settings.configure().apply(b)
                .backend(backend)
                .syncPolicy(policy)
                .checkpointsRetain(2)
                .compaction(CompactionMode.MANUAL)
                .build();
    }

    private static Path writeConfig(PersistentLogConfig config, Path run) throws IOException {
        Path file = run.resolve("log-config.properties");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            config.toProperties().store(w, "crash-recovery log configuration");
        }
        return file;
    }

    /** An owner-only file for a child's standard error (the redirect keeps the permissions of an existing file). */
    private static Path stderrFile(Path run, String name) throws IOException {
        Path f = run.resolve(name + ".stderr");
        Files.deleteIfExists(f);
        return Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(settings.jvmFlags());
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", ClassPathGuard.classPath(), CrashWriter.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    private Report report(Path run, List<String> violations, String summary) throws IOException {
        if (violations.isEmpty()) {
            deleteTree(run);
            return new Report(List.of(), summary);
        }
        List<String> out = new ArrayList<>(violations);
        out.add("seed " + settings.seed() + " (rerun with -Datlas.crash.seed=" + settings.seed()
                + "); child output, and for a power loss the log as the cut left it (crashed-log-N), kept in " + run);
        return new Report(out, summary);
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append("\n  caused by ").append(c);
        }
        StackTraceElement[] st = e.getStackTrace();
        for (int i = 0; i < Math.min(6, st.length); i++) {
            sb.append("\n    at ").append(st[i]);
        }
        return sb.toString();
    }

    private static String seconds(long startNanos) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }

    /** Copies the files under {@code from} (a log directory: files and directories only) to {@code to}. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.sorted().toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
