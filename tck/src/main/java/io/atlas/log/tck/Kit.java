package io.atlas.log.tck;

import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the kit's test classes share: the model provider, seeds, deterministic test data and the
 * shape of assertion messages ({@code [backend] G2: what went wrong}).
 */
final class Kit {

    /** System property that replays a randomized test: {@code -Datlas.tck.seed=...}. */
    static final String SEED_PROPERTY = "atlas.tck.seed";
    /** System property that sizes randomized tests: {@code -Datlas.tck.iterations=...}. */
    static final String ITERATIONS_PROPERTY = "atlas.tck.iterations";
    /** Operations per randomized sequence when {@link #ITERATIONS_PROPERTY} is not set (CI-sized). */
    static final int DEFAULT_ITERATIONS = 300;
    /** Name of the reference provider in {@code core} that randomized tests use as the model. */
    static final String MODEL_PROVIDER = "memory";

    /** The JVM flags of SPEC section 7 that every (child) test JVM needs. */
    static final List<String> REQUIRED_JVM_FLAGS = List.of(
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");

    private static final System.Logger LOG = System.getLogger(Kit.class.getName());

    private Kit() {
    }

    /** One step of a randomized run, applied to the model and to the backend under test. */
    interface Step<T, E extends Exception> {
        void apply(T target) throws E;
    }

    /**
     * Applies {@code step} to the model, then to the subject, and requires the same outcome: both accept,
     * or both refuse with the same kind of caller-mistake exception.
     *
     * @param where wraps a message with the run's seed and step
     * @return true when both accepted, false when both refused
     * @throws AssertionError when the outcomes differ
     */
    static <T, E extends Exception> boolean sameOutcome(T model, T subject, Step<T, E> step, String what,
                                                        java.util.function.UnaryOperator<String> where) throws E {
        RuntimeException expected = null;
        try {
            step.apply(model);
        } catch (IllegalArgumentException | IllegalStateException e) {
            expected = e;
        }
        try {
            step.apply(subject);
        } catch (IllegalArgumentException | IllegalStateException e) {
            if (expected == null) {
                throw new AssertionError(where.apply("the backend refused '" + what + "' which the model accepted: " + e), e);
            }
            if (expected.getClass() != e.getClass()) {
                throw new AssertionError(where.apply("'" + what + "' threw " + e + " where the model threw " + expected), e);
            }
            return false;
        }
        if (expected != null) {
            throw new AssertionError(where.apply("the backend accepted '" + what + "' which the model refused with " + expected));
        }
        return true;
    }

    /** {@code [backend] G2: what} — every assertion message of the kit has this shape. */
    static String msg(String backend, String guarantee, String what) {
        return "[" + backend + "] " + guarantee + ": " + what;
    }

    /**
     * The {@code memory} provider found with {@link ServiceLoader}; the kit never names backend
     * classes, not even core's reference one.
     */
    static StorageProvider modelProvider() {
        StorageProvider found = findProvider(MODEL_PROVIDER);
        if (found == null) {
            throw new IllegalStateException("the test kit needs the '" + MODEL_PROVIDER
                    + "' storage provider of atlas-log-core on the class path (found with ServiceLoader) "
                    + "as the model for randomized tests; found none");
        }
        return found;
    }

    /** The provider registered under {@code name}, or null. Providers that fail to load are skipped. */
    static StorageProvider findProvider(String name) {
        ServiceLoader<StorageProvider> loader = ServiceLoader.load(StorageProvider.class);
        var it = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<StorageProvider> p;
            try {
                if (!it.hasNext()) {
                    return null;
                }
                p = it.next();
            } catch (ServiceConfigurationError e) {
                LOG.log(System.Logger.Level.WARNING, "skipping a storage provider that failed to load: " + e.getMessage(), e);
                continue;
            }
            try {
                StorageProvider provider = p.get();
                if (provider.name().equals(name)) {
                    return provider;
                }
            } catch (ServiceConfigurationError e) {
                LOG.log(System.Logger.Level.WARNING, "skipping storage provider " + p.type().getName()
                        + " that failed to load: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The seed of a randomized test: {@link #SEED_PROPERTY} if set, else a fresh one. Logged so a
     * failing run can be replayed; the tests also put it into every assertion message.
     */
    static long seed(String backend, String test) {
        String given = System.getProperty(SEED_PROPERTY);
        long seed;
        if (given != null && !given.isBlank()) {
            try {
                seed = Long.parseLong(given.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("system property " + SEED_PROPERTY + " must be a whole number (a seed "
                        + "printed by an earlier run), got '" + given + "'", e);
            }
        } else {
            seed = new SplittableRandom().nextLong();
        }
        LOG.log(System.Logger.Level.INFO, "[" + backend + "] " + test + " seed=" + seed
                + " (replay with -D" + SEED_PROPERTY + "=" + seed + ")");
        return seed;
    }

    /** Logs what a randomized run did, so a run that refused nearly everything is noticed. */
    static void logRun(String backend, long seed, int steps, int accepted, int refused) {
        LOG.log(System.Logger.Level.INFO, "[" + backend + "] random run seed=" + seed + ": " + steps + " steps, "
                + accepted + " mutations accepted and " + refused + " refused by both the backend and the model");
    }

    /** Operations per randomized sequence: {@link #ITERATIONS_PROPERTY}, else {@link #DEFAULT_ITERATIONS}. */
    static int iterations() {
        String given = System.getProperty(ITERATIONS_PROPERTY);
        if (given == null || given.isBlank()) {
            return DEFAULT_ITERATIONS;
        }
        try {
            int n = Integer.parseInt(given.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + ITERATIONS_PROPERTY
                    + " must be a positive whole number, got '" + given + "'", e);
        }
        throw new IllegalArgumentException("system property " + ITERATIONS_PROPERTY
                + " must be a positive whole number, got '" + given + "'");
    }

    /**
     * Paths under {@code root} that group or others may access: files must be created rw------- and
     * directories rwx------ (G11). {@code root} itself is checked when {@code withRoot}. Empty when
     * every path is owner-only.
     */
    static List<String> notOwnerOnly(Path root, boolean withRoot) throws IOException {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (!withRoot && p.equals(root)) {
                    continue;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
                for (PosixFilePermission perm : perms) {
                    if (perm.name().startsWith("GROUP") || perm.name().startsWith("OTHERS")) {
                        open.add(perm);
                    }
                }
                if (!open.isEmpty()) {
                    bad.add((p.equals(root) ? root.toString() : root.relativize(p).toString()) + " (" + PosixFilePermissions.toString(perms) + ")");
                }
            }
        }
        return bad;
    }

    /** Whether the file system of {@code dir} has POSIX permissions to check. */
    static boolean posix(Path dir) throws IOException {
        return Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
    }

    /** Deterministic bytes for {@code (salt, seq)}, so tests can recompute what they stored. */
    static byte[] bytes(long salt, long seq, int length) {
        byte[] b = new byte[length];
        SplittableRandom r = new SplittableRandom(salt * 0x9E3779B97F4A7C15L + seq);
        for (int i = 0; i < length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /** Random bytes. */
    static byte[] bytes(SplittableRandom r, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /**
     * Flags for child JVMs: those of SPEC section 7 plus the module, native-access and system-property
     * flags this JVM was started with (surefire's argLine, for example {@code -Dlmdbjava.extract.dir}).
     * Agents and debugger flags are left out.
     */
    static List<String> inheritedJvmFlags() {
        Set<String> flags = new LinkedHashSet<>(REQUIRED_JVM_FLAGS);
        List<String> input;
        try {
            input = ManagementFactory.getRuntimeMXBean().getInputArguments();
        } catch (LinkageError | SecurityException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read this JVM's flags for child JVMs; passing only "
                    + REQUIRED_JVM_FLAGS + ": " + e, e);
            input = List.of();
        }
        for (String a : input) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("--add-modules")
                    || a.startsWith("--add-reads") || a.startsWith("--enable-native-access")
                    || (a.startsWith("-D") && !a.startsWith("-Djdk.internal") && !a.startsWith("-Dsun.java.command"))) {
                flags.add(a);
            }
        }
        return new ArrayList<>(flags);
    }
}
