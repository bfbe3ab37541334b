package io.atlas.log.lmdb;

import io.atlas.log.PersistentLogException;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link LmdbChildJvmTest}: opens the LMDB storage in {@code args[0]} and prints
 * {@code opened}, or prints the message of the {@link PersistentLogException} that refused it and
 * exits with {@value #REFUSED}.
 */
public final class LmdbChildMain {

    static final int REFUSED = 3;

    private LmdbChildMain() {
    }

    public static void main(String[] args) throws IOException {
        try (LogStorage s = new LmdbStorageProvider().open(new StorageConfig(Path.of(args[0]), 1 << 20))) {
            System.out.println("opened, lastSeq=" + s.lastSeq());
        } catch (PersistentLogException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(REFUSED);
        }
    }
}
