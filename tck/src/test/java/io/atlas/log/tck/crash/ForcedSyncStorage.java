package io.atlas.log.tck.crash;

import io.atlas.log.tck.ForwardingStorage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * {@link FilePerRecordStorage} (which never fsyncs) with a {@link #sync()} that also fdatasyncs a file
 * through {@code FileChannel.force(false)}, so an EIO injected into fdatasync reaches it. With
 * {@code swallowSyncErrors} it is the broken backend the sync-fault check must fail; without, the
 * control it must pass.
 */
final class ForcedSyncStorage extends ForwardingStorage {

    private final FileChannel syncTarget;
    private final boolean swallowSyncErrors;

    ForcedSyncStorage(Path dir, boolean swallowSyncErrors) throws IOException {
        super(new FilePerRecordStorage(dir, false));
        this.swallowSyncErrors = swallowSyncErrors;
        this.syncTarget = FileChannel.open(dir.resolve("sync-target"), Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    @Override
    public void sync() throws IOException {
        super.sync();
        try {
            syncTarget.force(false);
        } catch (IOException e) {
            if (!swallowSyncErrors) {
                throw e;
            }
            // the bug under test: the failed fdatasync is not reported and the engine acknowledges
        }
    }

    @Override
    public void close() throws IOException {
        try {
            syncTarget.close();
        } finally {
            super.close();
        }
    }
}
