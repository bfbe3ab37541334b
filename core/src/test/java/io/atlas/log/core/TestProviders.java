package io.atlas.log.core;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;

/** Providers registered by tests in generated {@code META-INF/services} files. */
final class TestProviders {

    private TestProviders() {
    }

    /** A durable provider that stores on the heap (durability does not matter to selection). */
    public abstract static class Base implements StorageProvider {
        private final String name;
        private final boolean durable;

        Base(String name, boolean durable) {
            this.name = name;
            this.durable = durable;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Set<Capability> capabilities() {
            return durable ? EnumSet.of(Capability.DURABLE) : EnumSet.noneOf(Capability.class);
        }

        @Override
        public LogStorage open(StorageConfig config) throws IOException {
            return new MemoryStorageProvider().open(new StorageConfig(config.directory(), config.maxSegmentSize()));
        }
    }

    public static final class Alpha extends Base {
        public Alpha() {
            super("alpha", true);
        }
    }

    public static final class Beta extends Base {
        public Beta() {
            super("beta", true);
        }
    }

    /** Also named alpha: rule 5. */
    public static final class AlphaTwin extends Base {
        public AlphaTwin() {
            super("alpha", true);
        }
    }

    /** Its constructor throws: ServiceLoader reports a ServiceConfigurationError. */
    public static final class Broken extends Base {
        public Broken() {
            super("broken", true);
            throw new IllegalStateException("broken provider constructor (deliberate, for the test)");
        }
    }

    /** Reports an invalid name. */
    public static final class BadName extends Base {
        public BadName() {
            super("Bad Name", true);
        }
    }
}
