// Jest runs the sources as CommonJS, where `import.meta` does not exist. Production code uses `import.meta.url` to
// find files next to it (the email-analysis worker); here it becomes the same file URL, built from __filename.
module.exports = function importMetaUrl({ template }) {
  return {
    name: 'import-meta-url',
    visitor: {
      MemberExpression(path) {
        const { object, property } = path.node;
        if (object.type === 'MetaProperty' && object.meta.name === 'import' && object.property.name === 'meta' && !path.node.computed && property.name === 'url') {
          path.replaceWith(template.expression.ast`require('node:url').pathToFileURL(__filename).href`);
        }
      },
    },
  };
};
