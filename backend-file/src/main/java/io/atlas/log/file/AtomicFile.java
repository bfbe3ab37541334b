package io.atlas.log.file;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Replaces a small file atomically and durably (G5): the new content goes to {@code <name>.tmp},
 * which is forced, renamed over the target, and the directory forced. After a crash the target holds
 * the old or the new content; a temporary file left behind is deleted at the next open.
 */
final class AtomicFile {

    private AtomicFile() {
    }

    static Path tempOf(Path target) {
        return target.resolveSibling(target.getFileName() + FileFormat.TEMP_SUFFIX);
    }

    /** Writes {@code parts}, one after the other, as the new content of {@code target} in {@code dir}. */
    static void write(FileIo io, Path dir, Path target, byte[]... parts) throws IOException {
        Path temp = tempOf(target);
        io.delete(temp);
        try (FileHandle h = io.open(temp, FileIo.OpenMode.CREATE_NEW)) {
            long pos = 0;
            for (byte[] part : parts) {
                h.writeFully(part, 0, part.length, pos);
                pos += part.length;
            }
            h.force(true);
        }
        io.rename(temp, target);
        io.syncDirectory(dir);
    }

    /** Opens {@code file} for reading; empty when it does not exist. */
    static Optional<FileHandle> openIfExists(FileIo io, Path file) throws IOException {
        try {
            return Optional.of(io.open(file, FileIo.OpenMode.READ));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Deletes {@code file} durably; false when it did not exist. */
    static boolean delete(FileIo io, Path dir, Path file) throws IOException {
        if (io.delete(file)) {
            io.syncDirectory(dir);
            return true;
        }
        return false;
    }
}
