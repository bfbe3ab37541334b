package io.atlas.log.tck.external;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * A provider that exists only in this test class path, in a package of its own, and is not
 * registered with {@link ServiceLoader}: what an implementor's backend looks like to the kit while it
 * is being written. It stores through the {@code memory} provider under its own name.
 */
public final class TestOnlyProvider implements StorageProvider {

    private final StorageProvider memory = ServiceLoader.load(StorageProvider.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(p -> p.name().equals("memory"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("the memory provider of atlas-log-core is not on the class path"));

    @Override
    public String name() {
        return "test-only";
    }

    @Override
    public Set<Capability> capabilities() {
        return memory.capabilities();
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(name(), Set.of());
        return memory.open(config);
    }
}
