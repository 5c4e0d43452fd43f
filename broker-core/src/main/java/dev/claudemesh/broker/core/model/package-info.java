/** Immutable records the domain and its storage adapter exchange: members, meshes, stored DMs, recent sends. */
package dev.claudemesh.broker.core.model;
