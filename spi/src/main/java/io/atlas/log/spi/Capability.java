package io.atlas.log.spi;

/** What a storage backend promises beyond the {@link LogStorage} contract. */
public enum Capability {
    /** Everything covered by a returned {@link LogStorage#sync()} survives process crash and power loss. */
    DURABLE
}
