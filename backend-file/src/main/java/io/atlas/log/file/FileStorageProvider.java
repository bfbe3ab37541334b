package io.atlas.log.file;

import io.atlas.log.PersistentLogConfig;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.Set;

/**
 * The {@code file} backend: a log of segmented append-only files with a CRC32C per record, sealed
 * segments described by their names and an index, and checkpoints and metadata in files replaced
 * atomically. Durable ({@link io.atlas.log.spi.Capability#DURABLE}).
 *
 * <p>Option (written {@code atlas.log.file.<option>}): {@code preallocate} ({@code true} by default)
 * fills each new segment with zeros up to the segment size before use, so that appends do not grow
 * the file and a data sync does not also write file-size metadata; {@code false} lets segments grow.
 */
public final class FileStorageProvider implements StorageProvider {

    /** The provider name. */
    public static final String NAME = "file";
    /** Option: fill new segments with zeros up front ({@code true}/{@code false}, default {@code true}). */
    public static final String OPTION_PREALLOCATE = "preallocate";

    private static final Set<String> KNOWN_OPTIONS = Set.of(OPTION_PREALLOCATE);

    private final FileIo io;

    /** The provider on the real file system; {@link java.util.ServiceLoader} uses this. */
    public FileStorageProvider() {
        this(FileIo.real());
    }

    /** A provider doing all its file-system work through {@code io}: the hook for fault-injection tests. */
    FileStorageProvider(FileIo io) {
        if (io == null) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": FileIo must not be null");
        }
        this.io = io;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * @throws IllegalArgumentException for an unknown option, a bad {@code preallocate} value, or a
     *                                  segment size outside 4 KiB to 1 GiB
     */
    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        if (config == null) {
            throw new IllegalArgumentException(NAME + ": storage config must not be null");
        }
        config.requireKnownOptions(NAME, KNOWN_OPTIONS);
        boolean preallocate = config.booleanOption(OPTION_PREALLOCATE, true);
        long size = config.maxSegmentSize();
        if (size < PersistentLogConfig.MIN_SEGMENT_SIZE || size > PersistentLogConfig.MAX_SEGMENT_SIZE) {
            throw new IllegalArgumentException(NAME + ": maxSegmentSize must be " + PersistentLogConfig.MIN_SEGMENT_SIZE
                    + " to " + PersistentLogConfig.MAX_SEGMENT_SIZE + " bytes (4 KiB to 1 GiB), got " + size);
        }
        return FileLogStorage.open(io, config.directory(), (int) size, preallocate);
    }
}
