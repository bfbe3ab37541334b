package io.atlas.log.core;

import io.atlas.log.spi.Capability;

import java.util.Set;

/**
 * A storage backend found on the class path by {@link PersistentLogs#availableBackends()}.
 *
 * @param name          the provider name, as written in {@code atlas.log.backend}
 * @param providerClass the fully qualified class name of the {@link io.atlas.log.spi.StorageProvider}
 * @param location      where the class was loaded from (a jar or a class folder), or
 *                      {@code "unknown location"}
 * @param capabilities  what the backend promises; without {@link Capability#DURABLE} it is used only
 *                      when named
 */
public record BackendInfo(String name, String providerClass, String location, Set<Capability> capabilities) {

    /** Copies {@code capabilities}; refuses nulls with {@link IllegalArgumentException}. */
    public BackendInfo {
        if (name == null || providerClass == null || location == null || capabilities == null) {
            throw new IllegalArgumentException("backend info components must not be null");
        }
        capabilities = Set.copyOf(capabilities);
    }

    /** Whether the backend declares {@link Capability#DURABLE}. */
    public boolean durable() {
        return capabilities.contains(Capability.DURABLE);
    }
}
