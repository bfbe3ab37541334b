package io.atlas.log.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Every file-system operation of the file backend, so that tests can count, fail or record them.
 * Operations name paths and handles; directory entries (create, rename, delete) become durable only
 * through {@link #syncDirectory}, and file contents only through {@link FileHandle#force}. A recording
 * implementation can therefore replay each crash state the real file system may leave.
 */
interface FileIo {

    /** How {@link #open} opens a file. */
    enum OpenMode {
        /** Read only; the file must exist. */
        READ,
        /** Read and write; the file must exist. */
        READ_WRITE,
        /** Read and write; the file must not exist and is created owner-only. */
        CREATE_NEW
    }

    /** The real file system. */
    static FileIo real() {
        return RealFileIo.INSTANCE;
    }

    /** Opens {@code file}; {@link java.nio.file.NoSuchFileException} when it must exist and does not. */
    FileHandle open(Path file, OpenMode mode) throws IOException;

    /** The entries of {@code dir} (full paths, any order). */
    List<Path> list(Path dir) throws IOException;

    /**
     * Creates {@code dir} and missing parents, owner-only; nothing when it exists. The new entries are
     * not durable until the caller syncs the parent of each.
     *
     * @return the directories created, outermost first; empty when {@code dir} existed
     */
    List<Path> createDirectories(Path dir) throws IOException;

    /** Renames {@code source} to {@code target} atomically, replacing {@code target}. */
    void rename(Path source, Path target) throws IOException;

    /** Deletes {@code file}; false when it did not exist. */
    boolean delete(Path file) throws IOException;

    /** Makes the entries of {@code dir} (creates, renames, deletes) durable. */
    void syncDirectory(Path dir) throws IOException;
}
