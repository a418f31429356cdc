// Test support shared by every test target (being written).
import ObjectStore
