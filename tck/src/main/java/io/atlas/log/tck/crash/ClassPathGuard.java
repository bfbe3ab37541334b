package io.atlas.log.tck.crash;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Child JVMs load the class path as it is when each one starts, while the parent keeps the classes it
 * loaded first. A build that reinstalls a jar or recompiles a folder of the class path during a run
 * would make parent and children run different code and report a false violation; this guard turns
 * that into a harness error that says so.
 */
final class ClassPathGuard {

    private static final Map<String, String> AT_START = snapshot();

    private ClassPathGuard() {
    }

    /**
     * The class path of this JVM, for a child's {@code -cp}, after checking that no entry changed since
     * this JVM loaded the kit.
     *
     * @throws IllegalStateException naming the entry that changed
     */
    static String classPath() {
        Map<String, String> now = snapshot();
        for (Map.Entry<String, String> e : AT_START.entrySet()) {
            String current = now.get(e.getKey());
            if (!e.getValue().equals(current)) {
                throw new IllegalStateException("harness: the class path changed during the run: " + e.getKey()
                        + " was " + e.getValue() + ", now " + current + "; a build replaced it while the kit was"
                        + " starting child JVMs, so parent and child would run different code. Rerun without"
                        + " rebuilding meanwhile");
            }
        }
        return System.getProperty("java.class.path");
    }

    private static Map<String, String> snapshot() {
        Map<String, String> entries = new LinkedHashMap<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.put(entry, describe(Path.of(entry)));
            }
        }
        return entries;
    }

    /** Size and modification time of a jar; count and newest modification time of a folder's files. */
    private static String describe(Path p) {
        try {
            if (Files.isRegularFile(p)) {
                return Files.size(p) + " bytes, modified " + Files.getLastModifiedTime(p);
            }
            if (Files.isDirectory(p)) {
                long files = 0;
                long newest = 0;
                try (Stream<Path> walk = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                        files++;
                        newest = Math.max(newest, Files.getLastModifiedTime(f).toMillis());
                    }
                }
                return files + " files, newest modified at " + newest + " ms";
            }
            return "absent";
        } catch (IOException e) {
            throw new UncheckedIOException("harness: cannot read class path entry " + p + ": " + e.getMessage(), e);
        }
    }
}
