// Imported first by timing tests: React picks its production build when it is loaded.
process.env.NODE_ENV = "production";
