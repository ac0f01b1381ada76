import { parseDockerfile, parseError } from './dockerfile.js';
import { type ArgInstruction, type FromInstruction, type Instruction, parseInstruction } from './instructions.js';

export interface Stage {
  /** Lower-cased `AS` name. */
  name?: string;
  index: number;
  from: FromInstruction;
  commands: Instruction[];
}

export interface BuildPlan {
  escapeToken: string;
  /** ARGs before the first FROM. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: string[];
}

/**
 * A Dockerfile as the classic builder runs it: global ARGs, then stages, each opened by a FROM.
 * Every instruction is checked up front, so a typo on the last line fails before the first RUN.
 */
export function planDockerfile(text: string, dockerfileName = 'Dockerfile'): BuildPlan {
  const { escapeToken, nodes, warnings } = parseDockerfile(text);
  if (nodes.length === 0) throw parseError(1, `the Dockerfile (${dockerfileName}) cannot be empty`);
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Set<string>();
  for (const node of nodes) {
    const inst = parseInstruction(node, escapeToken);
    if (inst.kind === 'FROM') {
      if (inst.stage) {
        if (names.has(inst.stage)) throw parseError(node.line, `duplicate name ${inst.stage}`);
        names.add(inst.stage);
      }
      stages.push({ ...(inst.stage ? { name: inst.stage } : {}), index: stages.length, from: inst, commands: [] });
      continue;
    }
    const current = stages[stages.length - 1];
    if (!current) {
      if (inst.kind !== 'ARG') throw parseError(node.line, 'no build stage in current context');
      metaArgs.push(inst);
      continue;
    }
    current.commands.push(inst);
  }
  if (stages.length === 0) throw parseError(nodes[nodes.length - 1]!.line, 'no build stage in current context');
  return { escapeToken, metaArgs, stages, warnings };
}

/** The stages up to and including `target` (by name, case-insensitive), as `--target` cuts them. */
export function stagesUpTo(plan: BuildPlan, target: string | undefined): Stage[] {
  if (!target) return plan.stages;
  const i = plan.stages.findIndex((s) => s.name === target.toLowerCase());
  if (i < 0) throw new Error(`failed to reach build target ${target} in Dockerfile`);
  return plan.stages.slice(0, i + 1);
}
