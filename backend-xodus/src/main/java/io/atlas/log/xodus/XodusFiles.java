package io.atlas.log.xodus;

import jetbrains.exodus.log.LogUtil;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Xodus' {@code .xd} files, looked at before Xodus opens them.
 *
 * <p>Xodus forces the directory when it creates a file, but not the file's data until a sync. After a
 * power loss ext4 can then show the new last file at its written length but filled with zeros (SPEC
 * section 5). Xodus 2.0.1 recovers from a torn or zero tail inside a file, but fails to open when the whole
 * last file is zeros ("Bad compressed number"). Such a file holds nothing that was synced, so it is a torn
 * tail: it is emptied, with a warning.
 */
final class XodusFiles {

    private static final System.Logger LOG = System.getLogger(XodusFiles.class.getName());

    /**
     * Written, and synced with the directory, once a new log's first commits are synced: from then on
     * the log has a valid database root whatever crashes, so one without a root is damaged, not torn.
     */
    static final String INITIALIZED_MARKER = "atlas-xodus.initialized";

    private XodusFiles() {
    }

    static boolean initialized(Path dir) {
        return Files.exists(dir.resolve(INITIALIZED_MARKER));
    }

    /** Creates the marker durably: the empty file is synced, then the directory. */
    static void markInitialized(Path dir) throws IOException {
        Path marker = dir.resolve(INITIALIZED_MARKER);
        try (FileChannel ch = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        OwnerOnlyFiles.restrict(marker);
        SyncingFileDataWriter.FSYNC.syncDirectory(dir);
    }

    /**
     * Empties the last {@code .xd} file when every byte of it is zero.
     *
     * @return the bytes in the {@code .xd} files afterwards
     */
    static long discardZeroFilledLastFile(Path dir) throws IOException {
        Path last = null;
        long lastAddress = -1;
        long total = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> LogUtil.isLogFileName(p.getFileName().toString()))) {
            for (Path f : files) {
                total += Files.size(f);
                long address = LogUtil.getAddress(f.getFileName().toString());
                if (address > lastAddress) {
                    lastAddress = address;
                    last = f;
                }
            }
        }
        if (last == null) {
            return 0;
        }
        long size = Files.size(last);
        if (size == 0 || !allZeros(last)) {
            return total;
        }
        LOG.log(System.Logger.Level.WARNING, "xodus: " + last + ": discarding a torn tail at offset 0: the last log"
                + " file holds " + size + " zero bytes (a crash before its data was synced)");
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            ch.force(true);
        }
        return total - size;
    }

    private static boolean allZeros(Path file) throws IOException {
        byte[] buffer = new byte[64 << 10];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
