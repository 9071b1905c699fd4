import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely';
import { AppError } from '../domain/errors.ts';
import { hasUnstorableCharacters, UNSTORABLE_TEXT_MESSAGE } from '../domain/text.ts';

function check(value: unknown): void {
  if (typeof value === 'string' && hasUnstorableCharacters(value)) {
    throw new AppError('invalid_input', UNSTORABLE_TEXT_MESSAGE, { internal: 'a query parameter holds a control character or a lone surrogate' });
  }
}

class ParameterCheck extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    check(node.value);
    return node;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    for (const value of node.values) check(value);
    return node;
  }
}

/**
 * The second line behind validation (domain/text.ts): every string parameter of every query, on both
 * engines, is refused the same way when it holds NUL or another control character. Without it an id
 * taken straight from an address (`/aup/policies/<NUL>`) finds nothing on SQLite and fails with an
 * encoding error, a 500, on PostgreSQL. Binary parameters (sealed bytes) are not text and pass.
 */
export class RefuseUnstorableText implements KyselyPlugin {
  readonly #check = new ParameterCheck();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#check.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
