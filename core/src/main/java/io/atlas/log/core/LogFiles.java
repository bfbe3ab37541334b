package io.atlas.log.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** File-system helpers for the files core keeps in the log directory: owner-only, fsynced. */
final class LogFiles {

    private static final FileAttribute<?> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<?> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private LogFiles() {
    }

    static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Creates {@code dir} owner-only (rwx------ where POSIX) if it is absent, its parents with default
     * permissions, and fsyncs the parent so the new entry survives a crash.
     *
     * @throws IllegalArgumentException if {@code dir} exists and is not a directory
     */
    static void createLogDirectory(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            return;
        }
        if (Files.exists(abs)) {
            throw new IllegalArgumentException("log directory " + abs + " exists but is not a directory");
        }
        Path parent = abs.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            if (posix(abs)) {
                Files.createDirectory(abs, OWNER_ONLY_DIR);
            } else {
                Files.createDirectory(abs);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(abs)) {
                throw new IllegalArgumentException("log directory " + abs + " exists but is not a directory", e);
            }
            return;
        }
        if (parent != null) {
            fsyncDirectory(parent);
        }
    }

    /** Opens (creating owner-only when absent) a file in the log directory. */
    static FileChannel openOwnerOnly(Path file, OpenOption... options) throws IOException {
        Set<OpenOption> opts = Set.of(options);
        return posix(file) ? FileChannel.open(file, opts, OWNER_ONLY_FILE) : FileChannel.open(file, opts);
    }

    /**
     * Makes the directory's entries (created, renamed, deleted files) durable. Directories cannot be
     * opened on non-POSIX systems, whose file systems make renames durable on their own.
     */
    static void fsyncDirectory(Path dir) throws IOException {
        if (!posix(dir)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
