package io.atlas.log.core;

import io.atlas.log.BackendNotFoundException;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.spi.Capability;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.Set;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SPEC section 2, backend selection rules 1-5: over plain lists, and through real ServiceLoader scans. */
class BackendSelectorTest {

    @TempDir
    Path tmp;

    private static BackendSelector.Found found(StorageProvider p, String location) {
        return new BackendSelector.Found(p, p.name(), p.capabilities(), location);
    }

    private static final BackendSelector.Found ALPHA = found(new TestProviders.Alpha(), "/repo/atlas-log-alpha-0.1.0.jar");
    private static final BackendSelector.Found BETA = found(new TestProviders.Beta(), "/repo/atlas-log-beta-0.1.0.jar");
    private static final BackendSelector.Found TWIN = found(new TestProviders.AlphaTwin(), "/other/alpha-twin.jar");
    private static final BackendSelector.Found MEMORY = found(new MemoryStorageProvider(), "/repo/atlas-log-core-0.1.0.jar");

    private static BackendSelector.Scan scan(BackendSelector.Found... found) {
        return new BackendSelector.Scan(List.of(found), List.of());
    }

    private static String select(Optional<String> name, BackendSelector.Scan scan) {
        return BackendSelector.select(name, "atlas.log.backend", scan).name();
    }

    @Test
    void rule1_namedBackendIsUsedEvenIfNotDurable() {
        assertEquals("memory", select(Optional.of("memory"), scan(ALPHA, MEMORY)));
        assertEquals("beta", select(Optional.of("beta"), scan(ALPHA, BETA, MEMORY)));
    }

    @Test
    void rule1_unknownNameListsWhatWasFoundAndWhere() {
        BackendNotFoundException e = assertThrows(BackendNotFoundException.class,
                () -> select(Optional.of("lmbd"), scan(ALPHA, MEMORY)));
        assertEquals("no storage backend named 'lmbd' on the class path (named by atlas.log.backend); found: "
                + "alpha (atlas-log-alpha-0.1.0.jar), memory (atlas-log-core-0.1.0.jar); "
                + "add the jar of backend 'lmbd' to the class path or fix the name", e.getMessage());
    }

    @Test
    void rule2_theOnlyDurableBackendIsUsedAndMemoryIsIgnored() {
        assertEquals("alpha", select(Optional.empty(), scan(MEMORY, ALPHA)));
    }

    @Test
    void rule3_noDurableBackendNamesTheArtifacts() {
        BackendNotFoundException e = assertThrows(BackendNotFoundException.class,
                () -> select(Optional.empty(), scan(MEMORY)));
        assertTrue(e.getMessage().startsWith("no durable storage backend on the class path"), e.getMessage());
        assertTrue(e.getMessage().contains("io.atlas:atlas-log-file, io.atlas:atlas-log-lmdb or io.atlas:atlas-log-xodus"), e.getMessage());
        assertTrue(e.getMessage().contains("memory (atlas-log-core-0.1.0.jar), which is not durable"), e.getMessage());
        BackendNotFoundException empty = assertThrows(BackendNotFoundException.class,
                () -> select(Optional.empty(), scan()));
        assertTrue(empty.getMessage().contains("io.atlas:atlas-log-file"), empty.getMessage());
    }

    @Test
    void rule4_severalDurableBackendsAreListedNeverFirstWins() {
        BackendNotFoundException e = assertThrows(BackendNotFoundException.class,
                () -> select(Optional.empty(), scan(ALPHA, MEMORY, BETA)));
        assertEquals("several durable storage backends on the class path: alpha (atlas-log-alpha-0.1.0.jar), "
                + "beta (atlas-log-beta-0.1.0.jar); choose one with atlas.log.backend "
                + "(PersistentLogConfig.Builder.backend(name))", e.getMessage());
    }

    @Test
    void rule5_twoBackendsWithOneNameNameBothClasses() {
        for (Optional<String> name : List.of(Optional.<String>empty(), Optional.of("alpha"))) {
            BackendNotFoundException e = assertThrows(BackendNotFoundException.class,
                    () -> select(name, scan(ALPHA, TWIN)));
            assertTrue(e.getMessage().startsWith("several storage backends are named 'alpha': "), e.getMessage());
            assertTrue(e.getMessage().contains(TestProviders.Alpha.class.getName() + " (/repo/atlas-log-alpha-0.1.0.jar)"), e.getMessage());
            assertTrue(e.getMessage().contains(TestProviders.AlphaTwin.class.getName() + " (/other/alpha-twin.jar)"), e.getMessage());
        }
        // a duplicate of another name does not stop a named, unique backend
        assertEquals("beta", select(Optional.of("beta"), scan(ALPHA, TWIN, BETA)));
    }

    @Test
    void brokenProviderIsReportedWithItsCause() {
        Throwable cause = new ServiceConfigurationError("Provider com.example.Gone not found");
        BackendSelector.Scan scan = new BackendSelector.Scan(List.of(ALPHA),
                List.of(new BackendSelector.Failure("a storage backend failed to load", cause)));
        BackendNotFoundException unnamed = assertThrows(BackendNotFoundException.class,
                () -> select(Optional.empty(), scan));
        assertSame(cause, unnamed.getCause());
        assertTrue(unnamed.getMessage().contains("com.example.Gone not found"), unnamed.getMessage());
        BackendNotFoundException unknown = assertThrows(BackendNotFoundException.class,
                () -> select(Optional.of("lmdb"), scan));
        assertSame(cause, unknown.getCause());
        assertTrue(unknown.getMessage().contains("failed to load: a storage backend failed to load: "), unknown.getMessage());
        // the named backend was found: the broken one is only logged
        assertEquals("alpha", select(Optional.of("alpha"), scan));
    }

    @Test
    void locationIsTheJarFileNameOrTheFolder() {
        assertEquals("atlas-log-file-0.1.0-SNAPSHOT.jar", BackendSelector.shortLocation("/m2/io/atlas/atlas-log-file-0.1.0-SNAPSHOT.jar"));
        assertEquals("/work/main/core/target/classes", BackendSelector.shortLocation("/work/main/core/target/classes"));
        String own = BackendSelector.locationOf(TestProviders.Alpha.class);
        assertTrue(own.endsWith("test-classes"), own);
        assertTrue(BackendSelector.locationOf(String.class).length() > 0);
    }

    // ---------------------------------------------------------------- real ServiceLoader scans

    /** A class loader that adds a services file listing {@code providers} to the test class path. */
    private URLClassLoader loaderWith(String... providers) throws IOException {
        Path root = Files.createTempDirectory(tmp, "cp");
        Path services = root.resolve("META-INF/services/" + StorageProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, "# generated by " + getClass().getSimpleName() + "\n"
                + String.join("\n", providers) + "\n", StandardCharsets.UTF_8);
        return new URLClassLoader(new URL[]{root.toUri().toURL()}, getClass().getClassLoader());
    }

    private static String binaryName(Class<?> c) {
        return c.getName();
    }

    private static <T> T withContextLoader(ClassLoader loader, Callable<T> body) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader old = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return body.call();
        } finally {
            t.setContextClassLoader(old);
        }
    }

    @Test
    void scanFindsMemoryInCoreAndReportsItsLocation() {
        BackendSelector.Scan scan = BackendSelector.scan(getClass().getClassLoader());
        BackendSelector.Found memory = scan.found().stream().filter(f -> f.name().equals("memory")).findFirst().orElseThrow();
        assertEquals(Set.of(), memory.capabilities());
        assertTrue(memory.location().endsWith("classes") || memory.location().endsWith(".jar"), memory.location());
        assertTrue(PersistentLogs.availableBackends().stream().anyMatch(b -> b.name().equals("memory") && !b.durable()
                && b.providerClass().equals(MemoryStorageProvider.class.getName())));
    }

    @Test
    void scanKeepsGoingAfterABrokenProviderAndKeepsItsCause() throws Exception {
        try (URLClassLoader loader = loaderWith(binaryName(TestProviders.Broken.class), "com.example.DoesNotExist",
                binaryName(TestProviders.BadName.class), binaryName(TestProviders.Alpha.class))) {
            BackendSelector.Scan scan = BackendSelector.scan(loader);
            assertTrue(scan.found().stream().anyMatch(f -> f.name().equals("alpha")), scan.foundList());
            assertEquals(3, scan.failures().size(), scan.failureList());
            String failures = scan.failureList();
            assertTrue(failures.contains("broken provider constructor"), failures);
            assertTrue(failures.contains("com.example.DoesNotExist"), failures);
            assertTrue(failures.contains("'Bad Name'"), failures);
        }
    }

    @Test
    void openSelectsThroughTheContextClassLoader() throws Exception {
        Path dir = tmp.resolve("log");
        try (URLClassLoader loader = loaderWith(binaryName(TestProviders.Alpha.class))) {
            String backend = withContextLoader(loader, () -> {
                try (PersistentLog<byte[], byte[], byte[]> log =
                             PersistentLogs.openBytes(PersistentLogConfig.builder(dir).build())) {
                    return log.toString();
                }
            });
            assertTrue(backend.contains("backend=alpha"), backend);
        }
        MemoryStorageProvider.discard(dir);
    }

    @Test
    void openWithoutANameUsesTheBackendOfTheManifest() throws Exception {
        Path dir = tmp.resolve("log");
        try (URLClassLoader loader = loaderWith(binaryName(TestProviders.Alpha.class), binaryName(TestProviders.Beta.class))) {
            withContextLoader(loader, () -> {
                PersistentLogConfig unnamed = PersistentLogConfig.builder(dir).build();
                BackendNotFoundException e = assertThrows(BackendNotFoundException.class, () -> PersistentLogs.openBytes(unnamed));
                assertTrue(e.getMessage().startsWith("several durable storage backends"), e.getMessage());
                PersistentLogs.openBytes(unnamed.toBuilder().backend("beta").build()).close();
                try (PersistentLog<byte[], byte[], byte[]> log = PersistentLogs.openBytes(unnamed)) {
                    assertTrue(log.toString().contains("backend=beta"), log.toString());
                }
                return null;
            });
        }
        MemoryStorageProvider.discard(dir);
    }

    @Test
    void openReportsABrokenProviderWithItsCause() throws Exception {
        try (URLClassLoader loader = loaderWith(binaryName(TestProviders.Broken.class), binaryName(TestProviders.Alpha.class))) {
            BackendNotFoundException e = withContextLoader(loader, () -> assertThrows(BackendNotFoundException.class,
                    () -> PersistentLogs.openBytes(PersistentLogConfig.builder(tmp.resolve("log")).build())));
            assertInstanceOf(ServiceConfigurationError.class, e.getCause());
            assertNotNull(e.getCause().getCause());
            assertTrue(e.getMessage().contains("broken provider constructor"), e.getMessage());
        }
    }

    @Test
    void durableCapabilityIsTheDefault() {
        StorageProvider p = new StorageProvider() {
            @Override
            public String name() {
                return "x";
            }

            @Override
            public io.atlas.log.spi.LogStorage open(io.atlas.log.spi.StorageConfig config) {
                throw new IllegalStateException("not opened in this test");
            }
        };
        assertTrue(BackendSelector.Found.of(p).durable());
        assertEquals(Set.of(Capability.DURABLE), BackendSelector.Found.of(p).capabilities());
    }
}
