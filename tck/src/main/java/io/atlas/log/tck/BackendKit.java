package io.atlas.log.tck;

import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Map;

/**
 * What {@link LogStorageTck} and {@link PersistentLogTck} share: the provider under test and the hooks
 * an implementor may override. Extend one of those two, not this class.
 */
public abstract class BackendKit {

    private Path junitTempDir;
    /** The provider's name, for assertion messages; set before each test. */
    String backend;
    private final List<AutoCloseable> opened = new ArrayList<>();

    BackendKit() {
        // only the kits in this package extend it
    }

    /** The backend under test. Called once per test (and more is harmless: providers are stateless). */
    protected abstract StorageProvider provider();

    /**
     * The folder under which each test creates its directories (one fresh subfolder each). Default: a
     * JUnit temporary directory created for each test and deleted after it. Override to run the kit on
     * a particular file system.
     */
    protected Path scratchDirectory() {
        return junitTempDir;
    }

    /**
     * The segment size handed to the backend. Default 8 KiB (twice the minimum), so that a few hundred
     * small records cross many segment boundaries; the decision size limit is then
     * {@code maxSegmentSize() - 1024}.
     */
    protected long maxSegmentSize() {
        return 8L << 10;
    }

    /** Backend options, without the {@code <backend>.} prefix (for example {@code map-size}). Default: none. */
    protected Map<String, String> options() {
        return Map.of();
    }

    /**
     * Operations in each randomized sequence. Default: system property {@code atlas.tck.iterations},
     * else 300 (CI-sized).
     */
    protected int randomIterations() {
        return Kit.iterations();
    }

    /** Registers a storage or log to close after the test, in reverse order of opening. */
    final void closeAfterTest(AutoCloseable resource) {
        opened.add(resource);
    }

    /** A pool of {@code threads} daemon threads named after the backend, for the kits' concurrency tests. */
    final ExecutorService daemonThreads(int threads, String purpose) {
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "tck-" + backend + "-" + purpose);
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    final void closeOpened() throws Exception {
        Exception first = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        opened.clear();
        if (first != null) {
            throw first;
        }
    }

    @BeforeEach
    final void setUpKit(@TempDir Path tempDir) {
        this.junitTempDir = tempDir;
        this.backend = provider().name();
    }
}
