package io.atlas.log.lmdb;

import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.SeqNo;
import io.atlas.log.core.PersistentLogs;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a user's JVM sees: the flags lmdbjava needs, and selection of the backend from the class path alone. */
class LmdbChildJvmTest {

    /** Third-party jars that core and lmdb need at run time, by their Maven repository folders. */
    private static final List<String> RUNTIME_DEPENDENCIES = List.of(
            "/org/apache/commons/commons-compress/", "/commons-codec/", "/commons-io/", "/org/apache/commons/commons-lang3/",
            "/at/yawk/lz4/", "/org/lmdbjava/", "/com/github/jnr/", "/org/ow2/asm/");

    private static final List<String> LMDB_FLAGS = List.of(
            "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED");

    @TempDir
    Path tmp;

    @Test
    void g9_missingJvmFlagsAreRefusedWithAnErrorNamingThem() throws Exception {
        Path dir = tmp.resolve("log");
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(extractDirFlag());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LmdbChildMain.class.getName(), dir.toString()));
        Result r = run(cmd);
        assertEquals(LmdbChildMain.REFUSED, r.exit(), "exit code of a JVM without the flags; output:\n" + r.output());
        assertTrue(r.output().contains("--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"),
                "the error must name both flags; output:\n" + r.output());
        assertFalse(Files.exists(dir.resolve(LmdbLayout.DATA_FILE)), "nothing may be created without the flags");

        List<String> withFlags = new ArrayList<>(List.of(java()));
        withFlags.addAll(LMDB_FLAGS);
        withFlags.addAll(cmd.subList(1, cmd.size()));
        Result ok = run(withFlags);
        assertEquals(0, ok.exit(), "the same JVM with the flags must open the store; output:\n" + ok.output());
        assertTrue(ok.output().contains("opened, lastSeq=-1"), ok.output());
    }

    /**
     * The "done when": a program with only atlas-log-core, atlas-log-lmdb and their run-time
     * dependencies on its class path, naming no backend, opens an LMDB log.
     */
    @Test
    void onlyCoreAndLmdbOnTheClassPathOpensAnLmdbLogWithoutNamingIt() throws Exception {
        Path dir = tmp.resolve("log");
        Path program = tmp.resolve("OpenWithoutBackendName.java");
        Files.writeString(program, String.join("\n",
                "import io.atlas.log.Decision;",
                "import io.atlas.log.PersistentLog;",
                "import io.atlas.log.PersistentLogConfig;",
                "import io.atlas.log.SeqNo;",
                "import io.atlas.log.core.PersistentLogs;",
                "import java.nio.file.Path;",
                "public class OpenWithoutBackendName {",
                "    public static void main(String[] args) {",
                "        PersistentLogConfig config = PersistentLogConfig.builder(Path.of(args[0])).build();",
                "        try (PersistentLog<byte[], byte[], byte[]> log = PersistentLogs.openBytes(config)) {",
                "            log.storeDecision(Decision.of(SeqNo.of(1), new byte[] {4, 2}));",
                "        }",
                "        System.out.println(\"stored\");",
                "    }",
                "}", ""));
        List<String> classPath = coreAndLmdbClassPath();
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(LMDB_FLAGS);
        cmd.addAll(extractDirFlag());
        cmd.addAll(List.of("-cp", String.join(File.pathSeparator, classPath), program.toString(), dir.toString()));
        Result r = run(cmd);
        assertEquals(0, r.exit(), "the program must run; class path " + classPath + "; output:\n" + r.output());
        assertTrue(r.output().contains("stored"), r.output());
        String manifest = Files.readString(dir.resolve("atlas-log.manifest"), StandardCharsets.UTF_8);
        assertTrue(manifest.lines().anyMatch("backend=lmdb"::equals), "the manifest must name lmdb:\n" + manifest);
        assertTrue(Files.size(dir.resolve(LmdbLayout.DATA_FILE)) > 0, "the log must be stored in data.mdb");
        PersistentLogConfig config = PersistentLogConfig.builder(dir).backend(LmdbStorageProvider.NAME).build();
        try (PersistentLog<byte[], byte[], byte[]> log = PersistentLogs.openBytes(config)) {
            assertArrayEquals(new byte[] {4, 2}, log.retrieveDecision(SeqNo.of(1)).orElseThrow().payload(),
                    "the decision the child stored, read back here");
        }
    }

    /** spi, core and lmdb (wherever the build put them) and the third-party jars they need; no test kit, no JUnit. */
    private static List<String> coreAndLmdbClassPath() throws URISyntaxException {
        Set<String> cp = new LinkedHashSet<>();
        for (Class<?> c : List.of(StorageProvider.class, PersistentLogs.class, LmdbStorageProvider.class)) {
            cp.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String unix = entry.replace(File.separatorChar, '/');
            if (RUNTIME_DEPENDENCIES.stream().anyMatch(unix::contains)) {
                cp.add(entry);
            }
        }
        for (String entry : cp) {
            assertFalse(entry.contains("junit") || entry.contains("atlas-log-tck") || entry.contains("test-classes"),
                    "the class path must hold only core, lmdb and their dependencies: " + entry);
        }
        assertTrue(cp.stream().anyMatch(e -> e.contains("lmdbjava")), "lmdbjava on the class path " + cp);
        return new ArrayList<>(cp);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The native-library folder this JVM uses, so the child does not extract into /tmp. */
    private static List<String> extractDirFlag() {
        String dir = System.getProperty(LmdbEnvironment.EXTRACT_DIR_PROPERTY);
        return dir == null ? List.of() : List.of("-D" + LmdbEnvironment.EXTRACT_DIR_PROPERTY + "=" + dir);
    }

    private record Result(int exit, String output) {
    }

    /** Runs {@code cmd} with its output in a file (so a hung child cannot block the read), at most 90 s. */
    private Result run(List<String> cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile(tmp, "child-", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                throw new AssertionError("child JVM did not finish in 90 s: " + cmd + "; output so far:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8) + "\n(command: " + cmd + ")");
    }
}
