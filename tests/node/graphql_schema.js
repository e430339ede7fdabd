// The schema both GraphQL reference servers run: a query, a failing resolver, a mutation
// with variables and a subscription of N ticks.
const {
  GraphQLSchema,
  GraphQLObjectType,
  GraphQLString,
  GraphQLInt,
  GraphQLNonNull,
} = require('graphql');

let total = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports.schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'world' },
      boom: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('kaboom');
        },
      },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: {
      add: {
        type: GraphQLInt,
        args: { n: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: (_, { n }) => {
          total += n;
          return total;
        },
      },
    },
  }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: GraphQLInt,
        args: { count: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_, { count }) {
          for (let i = 1; i <= count; i++) {
            await sleep(20);
            yield { tick: i };
          }
        },
      },
    },
  }),
});
