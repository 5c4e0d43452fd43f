/**
 * {@code mesh_info} (PROTOCOL-MESH §10.1): a summary of one mesh, from its leases and from the counts of the other
 * features' tables ({@link dev.claudemesh.broker.core.meshinfo.MeshInfoStore}).
 */
package dev.claudemesh.broker.core.meshinfo;
