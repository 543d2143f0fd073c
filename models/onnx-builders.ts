import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export { onnx };

/**
 * Small constructors for ONNX protobuf messages. Tensors are stored as little-endian
 * `rawData` written through a DataView, so the bytes never depend on host byte order:
 * the default model must come out byte-identical wherever it is regenerated.
 */

export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setBigInt64(i * 8, BigInt(value), true));
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, rawData: bytes };
}

export type AttributeValue = number | string | readonly number[];

/** Integers become INT/INTS attributes and everything else FLOAT/FLOATS; pass `floatAttribute` to force a float. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, AttributeValue | FloatAttribute> = {},
): onnxProto.onnx.INodeProto {
  return {
    opType,
    name: outputs[0] ?? opType,
    input: [...inputs],
    output: [...outputs],
    attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
  };
}

export interface FloatAttribute {
  readonly float: number;
}

function attribute(name: string, value: AttributeValue | FloatAttribute): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  const list = value as readonly number[];
  return list.every(Number.isInteger) ? { name, type: AttributeType.INTS, ints: [...list] } : { name, type: AttributeType.FLOATS, floats: [...list] };
}

/** A float32 tensor value; strings in `dims` are symbolic (dynamic) dimensions. */
export function floatValueInfo(name: string, dims: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) },
      },
    },
  };
}

export interface ModelParts {
  readonly graphName: string;
  readonly docString: string;
  readonly nodes: onnxProto.onnx.INodeProto[];
  readonly initializers: onnxProto.onnx.ITensorProto[];
  readonly inputs: onnxProto.onnx.IValueInfoProto[];
  readonly outputs: onnxProto.onnx.IValueInfoProto[];
  readonly opsetVersion: number;
}

/** IR version 8 is the lowest that allows opset 17 and the highest onnx-proto 8 describes. */
export function encodeModel(parts: ModelParts): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'audio-index',
    producerVersion: '1',
    docString: parts.docString,
    opsetImport: [{ domain: '', version: parts.opsetVersion }],
    graph: {
      name: parts.graphName,
      node: parts.nodes,
      initializer: parts.initializers,
      input: parts.inputs,
      output: parts.outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
