/**
 * Skills (PROTOCOL-MESH §11.3): named instructions a mesh shares, which the CLI's MCP server turns into prompts and
 * resources. {@link dev.claudemesh.broker.core.skill.SkillService} serves {@code share_skill}, {@code get_skill},
 * {@code list_skills} and {@code remove_skill} over its store port {@link dev.claudemesh.broker.core.skill.SkillStore};
 * only a skill's author or an admin of the mesh may overwrite or remove it (the §11.3 [fix]).
 */
package dev.claudemesh.broker.core.skill;
