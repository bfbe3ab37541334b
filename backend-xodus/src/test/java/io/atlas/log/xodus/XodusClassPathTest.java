package io.atlas.log.xodus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user's program sees: with only atlas-log-core and atlas-log-xodus (and what they depend on) on
 * its class path, a log opens on Xodus without naming the backend; and the test class path, which has
 * one SLF4J provider, prints no SLF4J warning.
 */
class XodusClassPathTest {

    /**
     * Test-only entries of the test class path (with core's optional codecs, which a user adds only by
     * choice); everything else is spi, core, this backend and what they depend on.
     */
    private static final Pattern TEST_ONLY = Pattern.compile(
            ".*(test-classes|junit-|opentest4j|apiguardian|atlas-log-tck|slf4j-jdk14|surefire|zstd-jni|/org/tukaani/xz/).*");

    /** The program, run by the java launcher from source so that no test class is on its class path. */
    private static final String PROGRAM = """
            import io.atlas.log.*;
            import io.atlas.log.core.PersistentLogs;
            import java.nio.charset.StandardCharsets;
            import java.nio.file.Path;

            public class OpenDefault {
                public static void main(String[] args) {
                    PersistentLogConfig config = PersistentLogConfig.builder(Path.of(args[0])).build();
                    try (PersistentLog<byte[], byte[], byte[]> log = PersistentLogs.openBytes(config)) {
                        log.storeDecision(Decision.of(SeqNo.of(1), "one".getBytes(StandardCharsets.UTF_8)));
                        String back = new String(log.retrieveDecision(SeqNo.of(1)).orElseThrow().payload(), StandardCharsets.UTF_8);
                        System.out.println(back.equals("one") ? "stored" : "wrong bytes: " + back);
                    }
                }
            }
            """;

    @TempDir
    Path tmp;

    @Test
    void aProgramWithOnlyCoreAndXodusOpensAXodusLogWithoutNamingIt() throws Exception {
        List<String> classPath = new ArrayList<>();
        for (String entry : XodusChild.testClassPath()) {
            if (!TEST_ONLY.matcher(entry).matches()) {
                classPath.add(entry);
            }
        }
        assertTrue(classPath.stream().anyMatch(e -> e.contains("atlas-log-core")), "core on " + classPath);
        assertTrue(classPath.stream().anyMatch(e -> e.endsWith("backend-xodus/target/classes")), "this backend on " + classPath);
        Path dir = tmp.resolve("log");
        Run run = runProgram(classPath, dir);
        assertEquals("stored", run.stdout.strip(), "program output; stderr: " + run.stderr + "; class path: " + classPath);
        Properties manifest = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve("atlas-log.manifest"), StandardCharsets.UTF_8)) {
            manifest.load(in);
        }
        assertEquals("xodus", manifest.getProperty("backend"), "backend recorded in the manifest");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".xd")), "Xodus files in " + dir);
        }
        // no SLF4J provider on this class path: SLF4J says so on stderr and drops Xodus' logging; nothing else may be there
        for (String line : run.stderr.strip().lines().toList()) {
            assertTrue(line.isBlank() || line.startsWith("SLF4J("), "unexpected stderr line: " + line + "; stderr: " + run.stderr);
        }
    }

    @Test
    void testClassPathHasOneSlf4jProviderAndPrintsNoSlf4jWarning() throws Exception {
        long providers = XodusChild.testClassPath().stream()
                .filter(e -> e.contains("slf4j-jdk14") || e.contains("slf4j-nop") || e.contains("slf4j-simple")
                        || e.contains("logback-classic") || e.contains("log4j-slf4j"))
                .count();
        assertEquals(1, providers, "SLF4J providers on the test class path: " + XodusChild.testClassPath());
        Run run = runProgram(XodusChild.testClassPath(), tmp.resolve("log"));
        assertEquals("stored", run.stdout.strip(), "program output; stderr: " + run.stderr);
        assertFalse(run.stderr.contains("SLF4J"), "a JVM with the test class path must print no SLF4J warning; stderr: " + run.stderr);
    }

    private record Run(String stdout, String stderr) {
    }

    private Run runProgram(List<String> classPath, Path dir) throws IOException, InterruptedException {
        Path source = tmp.resolve("OpenDefault.java");
        Files.writeString(source, PROGRAM);
        Path stderr = tmp.resolve("program.err");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", String.join(java.io.File.pathSeparator, classPath), source.toString(), dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("program did not finish in 120 s: " + cmd);
        }
        return new Run(out, XodusChild.stderrOf(stderr));
    }
}
