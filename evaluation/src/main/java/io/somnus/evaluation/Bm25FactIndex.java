package io.somnus.evaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * The retrieval baseline's memory: every taught fact as one sentence in an in-memory Lucene index,
 * ranked by BM25 (k1 = 1.2, b = 0.75, Lucene's defaults) against the question. The question is
 * escaped and parsed as an OR of its terms, so the subject's name dominates the ranking as it
 * would for any keyword retriever. English stop words are dropped by the analyzer.
 */
public final class Bm25FactIndex implements AutoCloseable {
  private static final String FIELD = "text";
  private final ByteBuffersDirectory directory = new ByteBuffersDirectory();
  private final StandardAnalyzer analyzer = new StandardAnalyzer(org.apache.lucene.analysis.en.EnglishAnalyzer.ENGLISH_STOP_WORDS_SET);
  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final int size;

  public Bm25FactIndex(List<String> sentences) {
    if (sentences.isEmpty()) throw new IllegalArgumentException("a retrieval index needs at least one sentence");
    try {
      IndexWriterConfig cfg = new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity());
      try (IndexWriter w = new IndexWriter(directory, cfg)) {
        for (String s : sentences) {
          Document d = new Document();
          d.add(new TextField(FIELD, s, Field.Store.NO));
          d.add(new StoredField("sentence", s));
          w.addDocument(d);
        }
      }
      reader = DirectoryReader.open(directory);
      searcher = new IndexSearcher(reader);
      searcher.setSimilarity(new BM25Similarity());
      size = sentences.size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the in-memory BM25 index", e);
    }
  }

  public int size() {
    return size;
  }

  /** The {@code k} best sentences for {@code question}, best first; fewer when fewer match. */
  public List<String> search(String question, int k) {
    if (k < 1) throw new IllegalArgumentException("k must be >= 1");
    try {
      Query q = new QueryParser(FIELD, analyzer).parse(QueryParser.escape(question));
      List<String> out = new ArrayList<>();
      for (ScoreDoc sd : searcher.search(q, k).scoreDocs) out.add(searcher.storedFields().document(sd.doc).get("sentence"));
      return out;
    } catch (ParseException e) {
      throw new IllegalArgumentException("cannot parse question as a query: " + question, e);
    } catch (IOException e) {
      throw new UncheckedIOException("BM25 search failed", e);
    }
  }

  @Override
  public void close() {
    try {
      reader.close();
      directory.close();
      analyzer.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
